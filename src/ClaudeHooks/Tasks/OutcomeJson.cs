using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClaudeHooks.Tasks;

/// <summary>How outcomes and API bodies are written: snake_case names, enums as snake_case strings.</summary>
internal static class OutcomeJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
