using ClaudeHooks.Config;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Api;

/// <summary><c>GET /budget</c>: today's (UTC) spend against every daily cap, as the gateway counted it, and the loop breaker.</summary>
internal static class BudgetApi
{
    public static IEndpointRouteBuilder MapBudgetApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/budget", GetAsync).WithName("GetBudget").WithSummary("Today's spend (UTC day) per agent and repository against the budgets' daily caps");
        return app;
    }

    private static async Task<IResult> GetAsync(BudgetLedger ledger, BudgetGuard guard, AgentsConfig config, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var day = BudgetLedger.Day(now);
        var (agents, repositories) = await ledger.DayAsync(day, cancellationToken);
        var budgets = config.Budgets;
        var repositoryRows = repositories.Select(r => Row(r.Key, r.Value, budgets.RepositoryCap(r.Key))).ToList();
        foreach (var (key, cap) in budgets.PerRepository.Where(e => !repositories.Keys.Any(k => budgets.RepositoryCap(k)?.ConfigKey == $"{BudgetSettings.RepositoryKey}.{e.Key}")))
        {
            repositoryRows.Add(Row(key, BudgetSpend.Zero, new BudgetCap(cap, $"{BudgetSettings.RepositoryKey}.{key}")));
        }

        return TypedResults.Ok(new
        {
            day,
            resets_at = BudgetLedger.NextDay(now),
            agents = config.Agents.Select(a => Row(a.Name, agents.GetValueOrDefault(a.Name) ?? BudgetSpend.Zero, budgets.AgentCap(a.Name))),
            repositories = repositoryRows,
            repository_default = budgets.RepositoryDefault,
            loop_breaker = budgets.LoopBreaker is { } breaker
                ? new { max_tasks_per_pull_request = breaker.MaxTasksPerPullRequest, window = Duration.Format(breaker.Window) }
                : null,
            prices = BudgetPrices.Families.Select(f => new { family = f.Family, input_usd_per_mtok = f.Input, output_usd_per_mtok = f.Output }),
        });
    }

    private static BudgetRow Row(string name, BudgetSpend spend, BudgetCap? cap) => new(
        name, Math.Round(spend.Usd, 4), cap?.Usd, cap?.ConfigKey, cap is null ? null : Math.Max(0, Math.Round(cap.Usd - spend.Usd, 4)),
        cap is not null && spend.Usd >= cap.Usd, spend.Requests, spend.InputTokens, spend.OutputTokens, spend.CacheCreationTokens, spend.CacheReadTokens);
}
