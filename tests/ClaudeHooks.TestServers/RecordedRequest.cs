using System.Text.Json;

namespace ClaudeHooks.TestServers;

/// <summary>A request the scripted model received, kept for assertions.</summary>
public sealed record RecordedRequest(DateTimeOffset At, string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>A conversation turn of the agent (it offers tools), as opposed to side requests.</summary>
    public bool IsConversation => Json is { } json && json.RootElement.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0;

    public int MessageCount => Json is { } json && json.RootElement.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array ? messages.GetArrayLength() : 0;

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    public JsonDocument? Json
    {
        get
        {
            try
            {
                return Body.Length == 0 ? null : JsonDocument.Parse(Body);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
