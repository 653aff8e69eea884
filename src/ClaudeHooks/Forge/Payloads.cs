using System.Text.Json;

namespace ClaudeHooks.Forge;

/// <summary>How intents' payloads and results are written and read.</summary>
internal static class Payloads
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static JsonElement Read(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static long Number(StoredIntent intent) => Read(intent.Payload).GetProperty("number").GetInt64();

    public static string Text(JsonElement payload, string name) => payload.GetProperty(name).GetString() ?? "";
}
