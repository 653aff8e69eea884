using System.Globalization;
using System.Text.Json;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Cli;

/// <summary>
/// One readable line per stored run event, stamped with the time it was stored, for progress in the terminal; long
/// texts are cut unless <c>full</c>, which shows them whole, line breaks kept and indented. Nothing in it a terminal
/// would act on.
/// </summary>
internal static class EventRenderer
{
    private const string Indent = "          ";

    public static string? Render(StoredEvent stored, bool full = false)
    {
        string Shorten(string text, int max) => full ? text.TrimEnd().ReplaceLineEndings(Environment.NewLine + Indent) : Cut(text, max);

        var time = stored.At.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        try
        {
            using var document = JsonDocument.Parse(stored.Data);
            var root = document.RootElement;
            var text = stored.Type switch
            {
                "system/init" => $"session {Get(root, "session_id")} started · model {Get(root, "model")} · {Count(root, "tools")} tools · {Get(root, "cwd")}",
                "assistant" => Assistant(root, Shorten),
                "user/tool_result" => ToolResults(root, Shorten),
                "result" => $"result {Get(root, "subtype")}{(root.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True ? " (is_error)" : "")} · {OutcomeText.Format(root)}",
                "system/api_retry" => $"model API retry {Get(root, "attempt")}: {Get(root, "error")} {Get(root, "error_status")}",
                "rate_limit_event" => "rate limit: " + Shorten(root.TryGetProperty("rate_limit_info", out var info) ? info.GetRawText() : stored.Data, 200),
                "runner/stderr" => $"stderr: {Get(root, "line")}",
                "runner/sandbox" => $"sandbox {Get(root, "name")} ({(Get(root, "warm") == "True" ? "warm" : $"created in {Get(root, "create_ms")} ms")})",
                "runner/checkout" => $"checkout {Get(root, "path")} on {Get(root, "branch")} at {Cut(Get(root, "start"), 12)} ({(Get(root, "branch_existed") == "True" ? "the branch as last pushed" : "a new branch")})",
                "runner/sandbox-removed" => $"sandbox {Get(root, "name")} removed{(Get(root, "killed_processes") is "0" or "" ? "" : $" with {Get(root, "killed_processes")} process(es) the task left running")}",
                "runner/start" => $"starting claude ({(Get(root, "resume") == "True" ? "resuming" : "new")} session {Get(root, "session_id")})",
                "runner/stopping" => $"stopping: {Get(root, "reason")}",
                "runner/malformed" => $"bad output line ({Get(root, "reason")}): {Shorten(Get(root, "line"), 120)}",
                "runner/outcome" => null,
                _ => $"{stored.Type}: {Shorten(stored.Data, 160)}",
            };
            return text is null ? null : TerminalText.Neutralize($"{time}  {text}");
        }
        catch (JsonException)
        {
            return TerminalText.Neutralize($"{stored.Type}: {Cut(stored.Data, 160)}");
        }
        catch (Exception e)
        {
            // The agent wrote the event, so it can be JSON of any shape and hold any number; whatever that breaks
            // here is about this one event, and the events after it must still be seen.
            return TerminalText.Neutralize($"{time}  {stored.Type}: event {stored.Seq} not shown ({e.GetType().Name}); --json prints it as stored");
        }
    }

    private static string? Assistant(JsonElement root, Func<string, int, string> shorten)
    {
        if (!root.TryGetProperty("message", out var message) || !message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var parts = new List<string>();
        foreach (var block in content.EnumerateArray())
        {
            switch (Get(block, "type"))
            {
                case "text" when Get(block, "text") is { Length: > 0 } text:
                    parts.Add($"assistant: {shorten(text, 400)}");
                    break;
                case "tool_use":
                    parts.Add($"tool {Get(block, "name")}: {shorten(block.TryGetProperty("input", out var input) ? input.GetRawText() : "", 200)}");
                    break;
            }
        }

        return parts.Count == 0 ? null : string.Join(Environment.NewLine + Indent, parts);
    }

    private static string? ToolResults(JsonElement root, Func<string, int, string> shorten)
    {
        if (!root.TryGetProperty("message", out var message) || !message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        return string.Join(Environment.NewLine + Indent, content.EnumerateArray().Select(block =>
        {
            var error = block.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True;
            var body = block.TryGetProperty("content", out var c) ? c.ValueKind == JsonValueKind.String ? c.GetString()! : c.GetRawText() : "";
            return $"  → {(error ? "error" : "ok")}: {shorten(body, 200)}";
        }));
    }

    private static string Get(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.ValueKind is JsonValueKind.True ? "True" : value.ValueKind is JsonValueKind.False ? "False" : value.GetRawText()
            : "";

    private static int Count(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : 0;

    private static string Cut(string text, int max)
    {
        var flat = text.ReplaceLineEndings(" ");
        return flat.Length <= max ? flat : flat[..max] + "…";
    }
}
