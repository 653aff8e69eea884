using System.Text;
using ClaudeHooks.Agents;

namespace ClaudeHooks.Tests.Agents;

public sealed class StreamJsonReaderTests
{
    private const string Init = """{"type":"system","subtype":"init","session_id":"s-1","model":"claude-x","tools":["Bash","Read"],"cwd":"/state/worktrees/a"}""";
    private const string Result = """{"type":"result","subtype":"success","is_error":false,"num_turns":3,"duration_ms":1200,"total_cost_usd":0.0123,"result":"done","session_id":"s-1","usage":{"input_tokens":5},"modelUsage":{"m":{"inputTokens":5}}}""";

    [Fact]
    public async Task ReadAsync_TypicalRun_GivesTypedEvents()
    {
        var events = await ReadAsync(string.Join('\n',
            Init,
            """{"type":"assistant","message":{"content":[{"type":"text","text":"Hi "},{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}]},"parent_tool_use_id":null}""",
            """{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"a.txt","is_error":false}]}}""",
            """{"type":"system","subtype":"api_retry","attempt":2,"retry_delay_ms":500,"error":"overloaded","error_status":529}""",
            """{"type":"rate_limit_event","rate_limit_info":{"status":"allowed","resetsAt":1700000000}}""",
            Result) + "\n");

        var init = Assert.IsType<InitEvent>(events[0]);
        Assert.Equal(("s-1", "claude-x", "/state/worktrees/a"), (init.SessionId, init.Model, init.Cwd));
        Assert.Equal(["Bash", "Read"], init.Tools);
        var assistant = Assert.IsType<AssistantEvent>(events[1]);
        Assert.Equal("Hi ", assistant.Text);
        Assert.Equal(("t1", "Bash", """{"command":"ls"}"""), (assistant.ToolUses[0].Id, assistant.ToolUses[0].Name, assistant.ToolUses[0].InputJson));
        Assert.False(assistant.FromSubagent);
        var tool = Assert.IsType<ToolResultEvent>(events[2]);
        Assert.Equal(("t1", false, "a.txt"), (tool.Results[0].ToolUseId, tool.Results[0].IsError, tool.Results[0].Content));
        var retry = Assert.IsType<ApiRetryEvent>(events[3]);
        Assert.Equal((2, 500L, "overloaded", 529), (retry.Attempt, retry.RetryDelayMs, retry.Error, retry.ErrorStatus));
        Assert.Equal("allowed", Assert.IsType<RateLimitEvent>(events[4]).Status);
        var result = Assert.IsType<ResultEvent>(events[5]);
        Assert.True(result.Succeeded);
        Assert.Equal((3, 1200L, 0.0123m, "done"), (result.NumTurns, result.DurationMs, result.TotalCostUsd, result.ResultText));
        Assert.Equal("""{"input_tokens":5}""", result.UsageJson);
        Assert.Equal("""{"m":{"inputTokens":5}}""", result.ModelUsageJson);
    }

    [Fact]
    public async Task ReadAsync_SuccessWithIsError_IsNotSuccess()
    {
        var events = await ReadAsync(Result.Replace("\"is_error\":false", "\"is_error\":true", StringComparison.Ordinal) + "\n");

        Assert.False(Assert.IsType<ResultEvent>(Assert.Single(events)).Succeeded);
    }

    [Fact]
    public async Task ReadAsync_UnknownTypesAndBlankLines_AreKeptOrSkipped()
    {
        var events = await ReadAsync("""{"type":"stream_event","event":{}}""" + "\n\n\r\n" + """{"type":"system","subtype":"compact_boundary"}""" + "\n");

        Assert.Equal(["stream_event", "system/compact_boundary"], events.Select(e => e.Type));
        Assert.All(events, e => Assert.IsType<OtherEvent>(e));
    }

    [Fact]
    public async Task ReadAsync_Garbage_IsReportedAndReadingGoesOn()
    {
        var events = await ReadAsync("not json at all\n[1,2]\n" + Init + "\n");

        Assert.Equal(3, events.Count);
        Assert.StartsWith("not JSON", Assert.IsType<MalformedLine>(events[0]).Reason, StringComparison.Ordinal);
        Assert.Contains("without a string \"type\"", Assert.IsType<MalformedLine>(events[1]).Reason, StringComparison.Ordinal);
        Assert.IsType<InitEvent>(events[2]);
    }

    [Fact]
    public async Task ReadAsync_LastLineWithoutNewline_IsParsed()
    {
        var events = await ReadAsync(Init + "\n" + Result);

        Assert.IsType<ResultEvent>(events[1]);
    }

    [Fact]
    public async Task ReadAsync_TruncatedLastLine_IsReportedAsTruncated()
    {
        var events = await ReadAsync(Init + "\n" + Result[..40]);

        Assert.Contains("truncated", Assert.IsType<MalformedLine>(events[1]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_LineOverLimit_IsSkippedWithoutLosingTheNext()
    {
        var huge = """{"type":"assistant","message":{"content":[{"type":"text","text":""" + "\"" + new string('x', 5000) + "\"}]}}";

        var events = await ReadAsync(huge + "\n" + Init + "\n", maxLineBytes: 1024);

        Assert.Contains("longer than the 1024-byte limit", Assert.IsType<MalformedLine>(events[0]).Reason, StringComparison.Ordinal);
        Assert.IsType<InitEvent>(Assert.Single(events, e => e is not MalformedLine));
    }

    [Fact]
    public async Task ReadAsync_TenMebibyteLine_IsReadWhole()
    {
        var text = new string('y', 10 * 1024 * 1024);
        var line = """{"type":"assistant","message":{"content":[{"type":"text","text":""" + "\"" + text + "\"}]}}";

        var events = await ReadAsync(line + "\n");

        Assert.Equal(text.Length, Assert.IsType<AssistantEvent>(Assert.Single(events)).Text.Length);
    }

    [Fact]
    public async Task ReadAsync_OneByteAtATime_GivesTheSameEvents()
    {
        var input = Encoding.UTF8.GetBytes(Init + "\n" + Result + "\n");
        var events = new List<AgentEvent>();

        await foreach (var e in StreamJsonReader.ReadAsync(new TrickleStream(input), CancellationToken.None))
        {
            events.Add(e);
        }

        Assert.Equal(["system/init", "result"], events.Select(e => e.Type));
    }

    private static async Task<List<AgentEvent>> ReadAsync(string text, int maxLineBytes = StreamJsonReader.DefaultMaxLineBytes)
    {
        var events = new List<AgentEvent>();
        await foreach (var e in StreamJsonReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None, maxLineBytes))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>Hands out one byte per read, as a slow pipe might.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => base.ReadAsync(buffer[..Math.Min(buffer.Length, 1)], cancellationToken);
    }
}
