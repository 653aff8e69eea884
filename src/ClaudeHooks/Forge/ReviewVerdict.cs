using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Forge;

/// <summary>The reviewer agent's structured verdict: the last ```json block of its final message.</summary>
internal sealed partial record ReviewVerdict(string Event, string Body, IReadOnlyList<InlineComment> Comments)
{
    public const string Instructions = """
        End your final message with exactly one JSON block, fenced as ```json, of this shape:
        {"verdict": "approve" | "request_changes" | "comment", "body": "your review, in Markdown", "comments": [{"path": "src/file.cs", "line": 12, "body": "about this line"}]}
        "line" is the line number in the new version of the file. Use "request_changes" only with a body that says what to change.
        """;

    public static ReviewVerdict? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var blocks = JsonBlock().Matches(text);
        if (blocks.Count == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(blocks[^1].Groups["json"].Value);
            var root = document.RootElement;
            var verdict = root.GetProperty("verdict").GetString();
            var body = root.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "";
            var comments = root.TryGetProperty("comments", out var c) && c.ValueKind == JsonValueKind.Array
                ? c.EnumerateArray()
                    .Where(x => x.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String && x.TryGetProperty("line", out var l) && l.ValueKind == JsonValueKind.Number && l.TryGetInt64(out _))
                    .Select(x => new InlineComment(x.GetProperty("path").GetString()!, x.GetProperty("line").GetInt64(), x.TryGetProperty("body", out var xb) ? xb.GetString() ?? "" : ""))
                    .ToList()
                : [];
            var forgeEvent = verdict switch
            {
                "approve" => "APPROVED",
                "request_changes" => "REQUEST_CHANGES",
                "comment" => "COMMENT",
                _ => null,
            };
            return forgeEvent is null ? null : new ReviewVerdict(forgeEvent, body, comments);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    [GeneratedRegex("```json\\s*(?<json>\\{.*?\\})\\s*```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
