using System.Text.Json;
using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary>The budget table's figures add up what model answers said they used, so they can be any number.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class BudgetCommandTests
{
    [Fact]
    public void Print_FiguresPastLongAndDecimal_ShowADashAndTheRestOfTheTable()
    {
        using var budget = JsonDocument.Parse("""
            {
              "day": "2026-01-02", "resets_at": "2026-01-03T00:00:00Z",
              "agents": [
                { "name": "dev", "spent_usd": 1e300, "cap_usd": 5, "remaining_usd": -1e300, "requests": 3, "input_tokens": 1e300, "output_tokens": 12.5 },
                { "name": "boss", "spent_usd": 0.5, "cap_usd": 5, "remaining_usd": 4.5, "requests": 1, "input_tokens": 10, "output_tokens": 20 }
              ],
              "repositories": []
            }
            """);
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            BudgetCommand.Print(budget.RootElement);
        }
        finally
        {
            Console.SetOut(previous);
        }

        var lines = output.ToString().Split('\n');
        Assert.Contains(lines, l => l.StartsWith("dev ", StringComparison.Ordinal) && l.Contains(" - ", StringComparison.Ordinal) && l.Contains("-/-", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("boss ", StringComparison.Ordinal) && l.Contains("$0.50", StringComparison.Ordinal) && l.Contains("10/20", StringComparison.Ordinal));
    }
}
