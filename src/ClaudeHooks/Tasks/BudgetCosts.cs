using System.Text.Json;

namespace ClaudeHooks.Tasks;

/// <summary>
/// A task's cost as people read it: the CLI's own <c>total_cost_usd</c> (the outcome's <c>cost_usd</c>) when the run
/// reported one, else what the gateway counted (a task stopped or failed before the CLI's result still cost that).
/// </summary>
internal static class BudgetCosts
{
    public static decimal? Reported(string? outcomeJson)
    {
        if (outcomeJson is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(outcomeJson);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("cost_usd", out var cost)
                && cost.ValueKind == JsonValueKind.Number && cost.TryGetDecimal(out var usd) ? usd : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static decimal? Cost(string? outcomeJson, BudgetSpend? metered) => Reported(outcomeJson) ?? metered?.Usd;
}
