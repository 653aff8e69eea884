using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// Turns a task's stored events into entries for people: the model's words, its thinking, each tool call with its
/// input and each result, the runner's steps, gateway denials and the run's end. Every text is redacted here;
/// long ones are cut to <see cref="ShownLength"/> characters and say how long they are. An event this does not
/// know, or that is not JSON at all, becomes an <c>other</c> entry with its text: nothing here throws on content.
/// </summary>
internal static class TranscriptView
{
    /// <summary>What a page shows of a text or a tool's input before "show all".</summary>
    public const int ShownLength = 2_000;

    /// <summary>"Show all" still stops somewhere: one event's text is at most this many characters.</summary>
    public const int FullLength = 4 * 1024 * 1024;

    /// <summary>
    /// A cut text is redacted this far past the cut, so that a credential straddling the cut is replaced whole
    /// instead of shown in part (a PEM private key block, the longest, is about 3,300 characters).
    /// </summary>
    private const int RedactionMargin = 8 * 1024;

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Shown as text in the page, never parsed as HTML: keep < > & ' and non-ASCII as they were written.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Fields every stream-json line carries that say nothing to a reader.</summary>
    private static readonly string[] Noise = ["type", "subtype", "session_id", "uuid"];

    public static IReadOnlyList<TranscriptEntry> Entries(IEnumerable<StoredEvent> events, SecretRedactor redactor, int limit = ShownLength)
    {
        var entries = new List<TranscriptEntry>();
        foreach (var stored in events)
        {
            entries.AddRange(Entries(stored, redactor, limit));
        }

        return entries;
    }

    /// <summary>The entries of one event, in the order its parts came; none for an event with nothing to show.</summary>
    public static IReadOnlyList<TranscriptEntry> Entries(StoredEvent stored, SecretRedactor redactor, int limit = ShownLength)
    {
        List<Draft> drafts;
        try
        {
            drafts = Drafts(stored.Type, stored.Data);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            drafts = [new Draft("other", stored.Type, stored.Data)];
        }

        var entries = new List<TranscriptEntry>(drafts.Count);
        for (var i = 0; i < drafts.Count; i++)
        {
            var draft = drafts[i];
            var id = drafts.Count == 1 ? stored.Seq.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{stored.Seq}.{i + 1}");
            var (text, length, cut) = Shown(draft.Text, redactor, limit);
            var (input, inputLength, inputCut) = draft.Input is null ? (null, 0, false) : Shown(draft.Input, redactor, limit);
            entries.Add(new TranscriptEntry(
                id,
                stored.Seq,
                stored.At,
                draft.Kind,
                Cut(redactor.Redact(draft.Title).Text, 200),
                text,
                length,
                cut,
                input,
                inputLength,
                inputCut,
                draft.ToolUseId is null ? null : Cut(redactor.Redact(draft.ToolUseId).Text, 200),
                draft.IsError,
                draft.Flagged));
        }

        return entries;
    }

    /// <summary>The text redacted and cut to <paramref name="limit"/>, with the length of the whole and whether it was cut.</summary>
    internal static (string Text, int Length, bool Cut) Shown(string text, SecretRedactor redactor, int limit)
    {
        if (text.Length <= limit)
        {
            var whole = redactor.Redact(text).Text;
            return whole.Length <= limit ? (whole, whole.Length, false) : (Cut(whole, limit), whole.Length, true);
        }

        var window = redactor.Redact(text[..Math.Min(text.Length, limit + RedactionMargin)]).Text;
        return (Cut(window, limit), text.Length, true);
    }

    /// <summary>At most <paramref name="limit"/> characters, never half of a surrogate pair.</summary>
    private static string Cut(string text, int limit)
    {
        if (text.Length <= limit)
        {
            return text;
        }

        var end = char.IsHighSurrogate(text[limit - 1]) ? limit - 1 : limit;
        return text[..end];
    }

    private static List<Draft> Drafts(string type, string data)
    {
        using var document = JsonDocument.Parse(data);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return [new Draft("other", type, data)];
        }

        return type switch
        {
            "assistant" => Assistant(root),
            "user" or "user/tool_result" => User(root),
            "result" => [Result(root)],
            "system/init" => [Init(root)],
            "system/api_retry" => [new Draft("system", "API retry", ApiRetry(root))],
            "system/compact_boundary" => [new Draft("system", "Context compacted", Fields(root, Noise))],
            "rate_limit_event" => [new Draft("system", "Rate limit", root.TryGetProperty("rate_limit_info", out var info) ? Fields(info, []) : "")],
            "gateway/denied" => [Denied(root)],
            "runner/malformed" => [new Draft("error", "malformed output", Lines(String(root, "reason"), String(root, "line"))) { Flagged = true }],
            "runner/stderr" => [new Draft("runner", type, String(root, "line") ?? "")],
            "runner/outcome" => [Outcome(root)],
            TaskEventBus.SecretRedactedType => [new Draft("system", "credentials redacted", Fields(root, []))],
            _ when type.StartsWith("runner/", StringComparison.Ordinal) => [new Draft("runner", type, Runner(type, root))],
            _ when type.StartsWith("system/", StringComparison.Ordinal) => [new Draft("system", type, Fields(root, Noise))],
            _ => [new Draft("other", type, JsonSerializer.Serialize(root, Indented))],
        };
    }

    private static List<Draft> Assistant(JsonElement root)
    {
        var drafts = new List<Draft>();
        var who = root.TryGetProperty("parent_tool_use_id", out var parent) && parent.ValueKind == JsonValueKind.String ? "Subagent" : "Assistant";
        if (String(root, "error") is { } error)
        {
            drafts.Add(new Draft("error", $"{who} error", error) { IsError = true, Flagged = true });
        }

        foreach (var block in Blocks(root))
        {
            switch (String(block, "type"))
            {
                case "text":
                    if (String(block, "text") is { Length: > 0 } text)
                    {
                        drafts.Add(new Draft("assistant", who, text));
                    }

                    break;
                case "thinking":
                    if (String(block, "thinking") is { Length: > 0 } thinking)
                    {
                        drafts.Add(new Draft("thinking", "Thinking", thinking));
                    }

                    break;
                case "redacted_thinking":
                    drafts.Add(new Draft("thinking", "Thinking", "(withheld by the model provider)"));
                    break;
                case "tool_use" or "server_tool_use":
                    var name = String(block, "name") ?? "tool";
                    var input = block.TryGetProperty("input", out var value) ? value : default;
                    drafts.Add(new Draft("tool", name, input.ValueKind == JsonValueKind.Object ? ToolSummary(name, input) : "")
                    {
                        Input = input.ValueKind == JsonValueKind.Undefined ? null : JsonSerializer.Serialize(input, Indented),
                        ToolUseId = String(block, "id"),
                    });
                    break;
                default:
                    drafts.Add(new Draft("other", String(block, "type") ?? "content", JsonSerializer.Serialize(block, Indented)));
                    break;
            }
        }

        return drafts;
    }

    /// <summary>A line saying what the call does, for the tools whose input has one telling field.</summary>
    private static string ToolSummary(string name, JsonElement input) => name switch
    {
        "Bash" => String(input, "command") ?? "",
        "Read" or "Write" or "Edit" or "MultiEdit" => String(input, "file_path") ?? "",
        "NotebookEdit" => String(input, "notebook_path") ?? "",
        "Grep" or "Glob" => String(input, "path") is { } path ? $"{String(input, "pattern")} in {path}" : String(input, "pattern") ?? "",
        "WebFetch" => String(input, "url") ?? "",
        "WebSearch" => String(input, "query") ?? "",
        "Task" or "Agent" => String(input, "description") ?? "",
        "TodoWrite" => input.TryGetProperty("todos", out var todos) && todos.ValueKind == JsonValueKind.Array ? $"{todos.GetArrayLength()} to-dos" : "",
        _ => "",
    };

    private static List<Draft> User(JsonElement root)
    {
        var drafts = new List<Draft>();
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
        {
            return [new Draft("other", "user", JsonSerializer.Serialize(root, Indented))];
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return [new Draft("other", "user", content.GetString()!)];
        }

        foreach (var block in Blocks(root))
        {
            switch (String(block, "type"))
            {
                case "tool_result":
                    var failed = block.TryGetProperty("is_error", out var error) && error.ValueKind == JsonValueKind.True;
                    drafts.Add(new Draft("result", failed ? "Tool error" : "Tool result", block.TryGetProperty("content", out var body) ? ResultText(body) : "")
                    {
                        ToolUseId = String(block, "tool_use_id"),
                        IsError = failed,
                        Flagged = failed,
                    });
                    break;
                case "text":
                    drafts.Add(new Draft("other", "user", String(block, "text") ?? ""));
                    break;
                default:
                    drafts.Add(new Draft("other", String(block, "type") ?? "content", JsonSerializer.Serialize(block, Indented)));
                    break;
            }
        }

        return drafts;
    }

    /// <summary>A tool result's content: a string, or blocks of which the text ones are read and others named.</summary>
    private static string ResultText(JsonElement body)
    {
        if (body.ValueKind == JsonValueKind.String)
        {
            return body.GetString()!;
        }

        if (body.ValueKind != JsonValueKind.Array)
        {
            return body.ValueKind == JsonValueKind.Null ? "" : JsonSerializer.Serialize(body, Indented);
        }

        var text = new StringBuilder();
        foreach (var part in body.EnumerateArray())
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(String(part, "type") switch
            {
                "text" => String(part, "text"),
                "image" => "[image]",
                _ => JsonSerializer.Serialize(part, Indented),
            });
        }

        return text.ToString();
    }

    private static Draft Result(JsonElement root)
    {
        var subtype = String(root, "subtype") ?? "";
        var failed = subtype != "success" || (root.TryGetProperty("is_error", out var error) && error.ValueKind == JsonValueKind.True);
        var facts = new List<string>();
        if (Long(root, "num_turns") is { } turns)
        {
            facts.Add(turns == 1 ? "1 turn" : $"{turns} turns");
        }

        if (Long(root, "duration_ms") is { } ms)
        {
            facts.Add(Format.Duration(ms));
        }

        if (root.TryGetProperty("total_cost_usd", out var cost) && cost.ValueKind == JsonValueKind.Number && cost.TryGetDecimal(out var usd))
        {
            facts.Add(Format.Cost(usd));
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            facts.Add($"{Long(usage, "input_tokens") ?? 0} input / {Long(usage, "output_tokens") ?? 0} output tokens");
        }

        var title = failed ? subtype is "" or "success" ? "Failed" : $"Failed: {subtype}" : "Finished";
        return new Draft("final", title, Lines(String(root, "result"), string.Join(" · ", facts))) { IsError = failed, Flagged = failed };
    }

    private static Draft Init(JsonElement root)
    {
        var tools = root.TryGetProperty("tools", out var list) && list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 0;
        return new Draft("system", "Session started", Lines(
            String(root, "model") is { } model ? $"model {model}" : null,
            String(root, "cwd") is { } cwd ? $"in {cwd}" : null,
            $"{tools} tools",
            String(root, "permissionMode") is { } mode ? $"permission mode {mode}" : null,
            String(root, "claude_code_version") is { } version ? $"Claude Code {version}" : null,
            String(root, "session_id") is { } session ? $"session {session}" : null));
    }

    private static string ApiRetry(JsonElement root)
    {
        var text = new StringBuilder($"attempt {Long(root, "attempt") ?? 0}");
        if ((Long(root, "retry_delay_ms") ?? Long(root, "delay_ms")) is { } delay)
        {
            text.Append(CultureInfo.InvariantCulture, $", again in {Format.Duration(delay)}");
        }

        if (String(root, "error") is { } error)
        {
            text.Append(CultureInfo.InvariantCulture, $": {error}");
        }

        if (Long(root, "error_status") is { } status)
        {
            text.Append(CultureInfo.InvariantCulture, $" (HTTP {status})");
        }

        return text.ToString();
    }

    private static Draft Denied(JsonElement root)
    {
        var request = $"{String(root, "method")} {String(root, "host")}{String(root, "path")}".Trim();
        return new Draft("denied", "gateway denied", Lines(
            request.Length == 0 ? null : request,
            String(root, "message"),
            String(root, "route") is { } route ? $"route: {route}" : null)) { Flagged = true };
    }

    private static Draft Outcome(JsonElement root)
    {
        var status = String(root, "status");
        var failed = status is not null and not "succeeded";
        return new Draft("runner", "runner/outcome", Fields(root, ["usage_json", "model_usage_json", "final_text"])) { IsError = failed, Flagged = failed };
    }

    /// <summary>The runner's steps in a sentence where one says it better than the fields; otherwise the fields.</summary>
    private static string Runner(string type, JsonElement root) => type switch
    {
        "runner/image" => Lines($"image {String(root, "image")}", $"chosen by {String(root, "chosen_by")} ({String(root, "source")})", $"runtime {String(root, "runtime")}"),
        "runner/sandbox" => $"sandbox {String(root, "name")} ({(Bool(root, "warm") ? "warm" : "new")}, ready in {Format.Duration(Long(root, "create_ms"))})",
        "runner/checkout" => Lines($"branch {String(root, "branch")} at {String(root, "start")}", $"in {String(root, "path")}"),
        "runner/setup-start" => Lines($"setup: {String(root, "command")}", Long(root, "timeout_seconds") is { } seconds ? $"time limit {Format.Duration(TimeSpan.FromSeconds(seconds))}" : null),
        "runner/setup" => Lines(
            $"setup {(Long(root, "exit_code") is { } code ? $"exited {code}" : "did not finish")} after {Format.Duration(Long(root, "duration_ms"))}: {String(root, "command")}",
            String(root, "output") is { Length: > 0 } output ? output : null),
        "runner/start" => Lines(
            $"Claude Code {(Bool(root, "resume") ? "resumed" : "started")}: session {String(root, "session_id")}",
            String(root, "cwd") is { } cwd ? $"in {cwd}" : null,
            root.TryGetProperty("argv", out var argv) && argv.ValueKind == JsonValueKind.Array ? string.Join(' ', argv.EnumerateArray().Select(a => a.ToString())) : null),
        _ => Fields(root, []),
    };

    /// <summary>An object as <c>key: value</c> lines: strings as they are, lists of plain values joined, the rest as compact JSON.</summary>
    private static string Fields(JsonElement element, string[] skip)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return JsonSerializer.Serialize(element, Indented);
        }

        var lines = new StringBuilder();
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null || skip.Contains(property.Name, StringComparer.Ordinal))
            {
                continue;
            }

            if (lines.Length > 0)
            {
                lines.Append('\n');
            }

            lines.Append(property.Name).Append(": ").Append(Value(property.Value));
        }

        return lines.ToString();
    }

    private static string Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) =>
            string.Join(", ", value.EnumerateArray().Select(v => v.ToString())),
        JsonValueKind.Object or JsonValueKind.Array => JsonSerializer.Serialize(value, Compact),
        _ => value.GetRawText(),
    };

    private static IEnumerable<JsonElement> Blocks(JsonElement root) =>
        root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
            ? content.EnumerateArray().Where(b => b.ValueKind == JsonValueKind.Object)
            : [];

    private static string Lines(params string?[] lines) => string.Join('\n', lines.Where(l => !string.IsNullOrEmpty(l)));

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static bool Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>An entry before its id, redaction and cutting.</summary>
    private sealed record Draft(string Kind, string Title, string Text)
    {
        public string? Input { get; init; }

        public string? ToolUseId { get; init; }

        public bool IsError { get; init; }

        public bool Flagged { get; init; }
    }
}
