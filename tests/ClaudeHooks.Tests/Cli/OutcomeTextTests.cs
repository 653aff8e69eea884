using System.Text.Json;
using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary>The figures come from what the agent wrote: any number at all must show as text, never throw.</summary>
public sealed class OutcomeTextTests
{
    [Fact]
    public void Format_PlausibleFigures_ReadAsARun()
    {
        Assert.Equal("50.2 s · $0.0132 · 7 turns", Format("""{ "duration_ms": 50200, "cost_usd": 0.0132, "turns": 7 }"""));
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("10000000000000000")]
    [InlineData("1e400")]
    [InlineData("-1")]
    [InlineData("31708800001")]
    public void Format_DurationNoRunCanHave_ShowsADash(string durationMs)
    {
        Assert.Equal("- · $0.0100 · 1 turn", Format($$"""{ "duration_ms": {{durationMs}}, "cost_usd": 0.01, "turns": 1 }"""));
    }

    [Fact]
    public void Format_DurationOfAYear_StillShown()
    {
        Assert.Equal("8784 h 0 min · - · -", Format("""{ "duration_ms": 31622400000 }"""));
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("1e400")]
    [InlineData("-0.5")]
    public void Format_CostNoRunCanHave_ShowsADash(string cost)
    {
        Assert.Equal("1.0 s · - · -", Format($$"""{ "duration_ms": 1000, "total_cost_usd": {{cost}} }"""));
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("1e400")]
    [InlineData("-3")]
    [InlineData("2.5")]
    [InlineData("4294967296")]
    public void Format_TurnsNoRunCanHave_ShowsADash(string turns)
    {
        Assert.Equal("- · - · -", Format($$"""{ "num_turns": {{turns}} }"""));
    }

    private static string Format(string json)
    {
        using var document = JsonDocument.Parse(json);
        return OutcomeText.Format(document.RootElement);
    }
}
