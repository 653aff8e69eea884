using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace ClaudeHooks.Agents;

/// <summary>
/// Reads Claude Code's NDJSON output: one event per line, lines up to 16 MiB, unknown types kept as
/// <see cref="OtherEvent"/>, and garbage, over-long or truncated lines reported as <see cref="MalformedLine"/>
/// without stopping the stream.
/// </summary>
internal static class StreamJsonReader
{
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;
    private const int MalformedPreview = 200;

    public static async IAsyncEnumerable<AgentEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken, int maxLineBytes = DefaultMaxLineBytes)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        var discarding = false;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    if (discarding)
                    {
                        discarding = false;
                        continue;
                    }

                    if (line.Length > maxLineBytes)
                    {
                        yield return new MalformedLine(Preview(line), $"line of {line.Length} bytes is longer than the {maxLineBytes}-byte limit");
                        continue;
                    }

                    if (Parse(line) is { } parsed)
                    {
                        yield return parsed;
                    }
                }

                if (buffer.Length > maxLineBytes && !discarding)
                {
                    yield return new MalformedLine(Preview(buffer), $"line is longer than the {maxLineBytes}-byte limit");
                    discarding = true;
                }

                if (discarding)
                {
                    buffer = buffer.Slice(buffer.End);
                }

                if (read.IsCompleted)
                {
                    if (!discarding && buffer.Length > 0 && Parse(buffer) is { } last)
                    {
                        yield return last is MalformedLine malformed ? malformed with { Reason = "output ended in the middle of a line (truncated)" } : last;
                    }

                    break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    /// <summary>One line to an event; null for a blank line.</summary>
    public static AgentEvent? Parse(ReadOnlySequence<byte> line)
    {
        var text = Encoding.UTF8.GetString(line).TrimEnd('\r');
        if (text.Trim().Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                return new MalformedLine(Preview(text), "a JSON line without a string \"type\"");
            }

            var type = typeElement.GetString()!;
            var subtype = String(root, "subtype");
            return (type, subtype) switch
            {
                ("system", "init") => new InitEvent(text, String(root, "session_id") ?? "", String(root, "model"), Strings(root, "tools"), String(root, "cwd")),
                ("system", "api_retry") => new ApiRetryEvent(text, (int)(Long(root, "attempt") ?? 0), Long(root, "retry_delay_ms") ?? Long(root, "delay_ms"), String(root, "error"), (int?)Long(root, "error_status")),
                ("assistant", _) => Assistant(text, root),
                ("user", _) => ToolResults(text, root),
                ("result", _) => Result(text, root, subtype ?? ""),
                ("rate_limit_event", _) => new RateLimitEvent(text, root.TryGetProperty("rate_limit_info", out var info) ? String(info, "status") : null, root.TryGetProperty("rate_limit_info", out var info2) ? Raw(info2, "resetsAt") : null),
                _ => new OtherEvent(text, subtype is null ? type : $"{type}/{subtype}"),
            };
        }
        catch (JsonException e)
        {
            return new MalformedLine(Preview(text), $"not JSON ({e.Message.Split('.')[0]})");
        }
    }

    private static AssistantEvent Assistant(string raw, JsonElement root)
    {
        var text = new StringBuilder();
        var tools = new List<ToolUse>();
        if (root.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                switch (String(block, "type"))
                {
                    case "text":
                        text.Append(String(block, "text"));
                        break;
                    case "tool_use":
                        tools.Add(new ToolUse(String(block, "id") ?? "", String(block, "name") ?? "", block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}"));
                        break;
                }
            }
        }

        var fromSubagent = root.TryGetProperty("parent_tool_use_id", out var parent) && parent.ValueKind == JsonValueKind.String;
        return new AssistantEvent(raw, text.ToString(), tools, String(root, "error"), fromSubagent);
    }

    private static AgentEvent ToolResults(string raw, JsonElement root)
    {
        var results = new List<ToolResult>();
        if (root.TryGetProperty("message", out var message) && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray().Where(b => String(b, "type") == "tool_result"))
            {
                var body = block.TryGetProperty("content", out var c) ? c.ValueKind == JsonValueKind.String ? c.GetString()! : c.GetRawText() : "";
                results.Add(new ToolResult(String(block, "tool_use_id") ?? "", block.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True, body));
            }
        }

        return results.Count > 0 ? new ToolResultEvent(raw, results) : new OtherEvent(raw, "user");
    }

    private static ResultEvent Result(string raw, JsonElement root, string subtype)
    {
        decimal? cost = root.TryGetProperty("total_cost_usd", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetDecimal() : null;
        return new ResultEvent(
            raw,
            subtype,
            root.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True,
            (int)(Long(root, "num_turns") ?? 0),
            Long(root, "duration_ms") ?? 0,
            cost,
            String(root, "result"),
            String(root, "session_id"),
            Raw(root, "usage"),
            Raw(root, "modelUsage"),
            (int?)Long(root, "api_error_status"));
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static string? Raw(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetRawText() : null;

    private static List<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : [];

    private static string Preview(ReadOnlySequence<byte> line) => Preview(Encoding.UTF8.GetString(line.Length > MalformedPreview * 4 ? line.Slice(0, MalformedPreview * 4) : line));

    private static string Preview(string text) => text.Length <= MalformedPreview ? text : text[..MalformedPreview] + "…";
}
