namespace ClaudeHooks.Tasks;

/// <summary>
/// List prices per million tokens by model family, for the spend the gateway counts. Each family takes its most
/// expensive current model, and a model of no known family is priced as Opus, so a cap errs on stopping early, never
/// late. Cache writes cost 1.25 times input (2 times for the one-hour cache) and cache reads 0.1 times, as Anthropic
/// bills them; a Sonnet request of more than 200,000 input tokens (the 1M-context beta) costs $6 in and $22.50 out.
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

    /// <summary>Above this many input tokens a Sonnet request is billed at the long-context price.</summary>
    public const long LongContextTokens = 200_000;

    public static decimal Cost(BudgetUsage usage)
    {
        var (family, input, output) = For(usage.Model);
        if (family == "sonnet" && usage.PromptTokens > LongContextTokens)
        {
            (input, output) = (6m, 22.5m);
        }

        var oneHour = Math.Clamp(usage.CacheCreationOneHourTokens, 0, usage.CacheCreationTokens);
        var fiveMinutes = usage.CacheCreationTokens - oneHour;
        return ((usage.InputTokens * input) + (fiveMinutes * input * 1.25m) + (oneHour * input * 2m) + (usage.CacheReadTokens * input * 0.1m) + (usage.OutputTokens * output)) / 1_000_000m;
    }
}
