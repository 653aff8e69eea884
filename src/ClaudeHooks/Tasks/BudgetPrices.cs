namespace ClaudeHooks.Tasks;

/// <summary>
/// List prices per million tokens by model family, for the spend the gateway counts. Each family takes its most
/// expensive current model, and a model of no known family is priced as Opus, so a cap errs on stopping early, never
/// late. Cache writes cost 1.25 times input and cache reads 0.1 times, as Anthropic bills them.
/// </summary>
internal static class BudgetPrices
{
    /// <summary>(family, input, output) in US dollars per million tokens; matched by the family's name in the model's.</summary>
    public static readonly IReadOnlyList<(string Family, decimal Input, decimal Output)> Families =
    [
        ("opus", 15m, 75m),
        ("sonnet", 3m, 15m),
        ("haiku", 1m, 5m),
    ];

    public static (string Family, decimal Input, decimal Output) For(string? model)
    {
        foreach (var family in Families)
        {
            if (model?.Contains(family.Family, StringComparison.OrdinalIgnoreCase) == true)
            {
                return family;
            }
        }

        return Families[0];
    }

    public static decimal Cost(BudgetUsage usage)
    {
        var (_, input, output) = For(usage.Model);
        return ((usage.InputTokens * input) + (usage.CacheCreationTokens * input * 1.25m) + (usage.CacheReadTokens * input * 0.1m) + (usage.OutputTokens * output)) / 1_000_000m;
    }
}
