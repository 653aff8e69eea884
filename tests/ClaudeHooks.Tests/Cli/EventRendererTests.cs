using ClaudeHooks.Cli;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Cli;

/// <summary>Each stored event as one line; an event the agent shaped to break the renderer costs that line only.</summary>
public sealed class EventRendererTests
{
    private static readonly DateTimeOffset At = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Theory]
    [InlineData("1e300")]
    [InlineData("1e400")]
    [InlineData("10000000000000000")]
    public void Render_ResultWithADurationPastTimeSpan_ShowsADash(string durationMs)
    {
        var rendered = Render("result", $$"""{ "subtype": "success", "duration_ms": {{durationMs}}, "num_turns": 2 }""");

        Assert.EndsWith("result success · - · - · 2 turns", rendered, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("result", "[1, 2]")]
    [InlineData("result", "\"just a string\"")]
    [InlineData("system/init", "17")]
    [InlineData("assistant", """{ "message": "not an object" }""")]
    [InlineData("user/tool_result", """{ "message": { "content": [ 5 ] } }""")]
    public void Render_EventOfAShapeItsTypeNeverHas_AShortMarker(string type, string data)
    {
        var rendered = Render(type, data);

        Assert.Contains($"{type}: event 9 not shown (", rendered, StringComparison.Ordinal);
        Assert.EndsWith("); --json prints it as stored", rendered, StringComparison.Ordinal);
    }

    private static string Render(string type, string data) =>
        EventRenderer.Render(new StoredEvent("t", 9, At, type, data)) ?? throw new InvalidOperationException("rendered nothing");
}
