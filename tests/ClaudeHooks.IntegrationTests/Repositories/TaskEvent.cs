using System.Text.Json;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>One stored event of a task as <c>GET /task/{id}/events</c> replays it.</summary>
public sealed record TaskEvent(long Seq, string Type, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;

    /// <summary>What the agent's tool calls returned, in order (the raw events, so any text they carry can be searched).</summary>
    public static IReadOnlyList<string> ToolResults(IEnumerable<TaskEvent> events) =>
        events.Where(e => e.Type == "user/tool_result").Select(e => e.Data).ToList();

    /// <summary>The one event of <paramref name="type"/>, parsed.</summary>
    public static JsonElement Single(IEnumerable<TaskEvent> events, string type)
    {
        var matching = events.Where(e => e.Type == type).ToList();
        Assert.True(matching.Count == 1, $"{matching.Count} {type} events in: {string.Join(", ", events.Select(e => e.Type))}");
        return matching[0].Json;
    }
}
