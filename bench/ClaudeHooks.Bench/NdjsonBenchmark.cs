using System.Diagnostics;
using System.Globalization;
using System.Text;
using ClaudeHooks.Agents;

namespace ClaudeHooks.Bench;

/// <summary>Throughput of the stream-json reader over a realistic mix of lines held in memory.</summary>
internal static class NdjsonBenchmark
{
    public static async Task RunAsync()
    {
        var lines = new[]
        {
            """{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":""" + "\"" + new string('a', 1500) + "\"}]},\"parent_tool_use_id\":null,\"session_id\":\"s\"}",
            """{"type":"assistant","message":{"content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"git status && git diff --stat","description":"check"}}]},"parent_tool_use_id":null}""",
            """{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_1","type":"tool_result","content":""" + "\"" + new string('r', 4000) + "\",\"is_error\":false}]}}",
            """{"type":"system","subtype":"api_retry","attempt":1,"retry_delay_ms":500,"error":"overloaded","error_status":529}""",
        };
        var block = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        var repeats = (256 * 1024 * 1024) / block.Length;
        var data = new byte[block.Length * repeats];
        for (var i = 0; i < repeats; i++)
        {
            block.CopyTo(data, i * block.Length);
        }

        await CountAsync(data); // warm-up
        var timings = new List<double>();
        long events = 0;
        for (var round = 0; round < 5; round++)
        {
            var stopwatch = Stopwatch.StartNew();
            events = await CountAsync(data);
            timings.Add(data.Length / 1e6 / stopwatch.Elapsed.TotalSeconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ndjson: {data.Length / 1e6:0} MB, {events} events per pass; median {Stats.Percentile(timings, 50):0} MB/s (min {timings.Min():0}, max {timings.Max():0}, 5 passes)"));
    }

    private static async Task<long> CountAsync(byte[] data)
    {
        long count = 0;
        await foreach (var _ in StreamJsonReader.ReadAsync(new MemoryStream(data, writable: false), CancellationToken.None))
        {
            count++;
        }

        return count;
    }
}
