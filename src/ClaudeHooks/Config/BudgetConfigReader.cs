using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Config;

/// <summary>Reads and checks the <c>budgets</c> section; every mistake is reported with its key and the fix.</summary>
internal static partial class BudgetConfigReader
{
    private static readonly string[] Keys = ["per_agent_per_day_usd", "per_repository_per_day_usd", "loop_breaker"];
    private static readonly string[] LoopBreakerKeys = ["max_tasks_per_pull_request", "window"];

    /// <summary>The largest daily cap taken: anything above is a typo, not a budget.</summary>
    public const double MaxUsd = 1_000_000;

    public static BudgetSettings Read(JsonObjectReader? reader, IReadOnlyCollection<string> agents)
    {
        if (reader is null)
        {
            return BudgetSettings.None;
        }

        decimal? agentDefault = null;
        var perAgent = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var agentMap = false;
        switch (reader.Kind("per_agent_per_day_usd"))
        {
            case JsonValueKind.Undefined:
                break;
            case JsonValueKind.Object:
                agentMap = true;
                var map = reader.Object("per_agent_per_day_usd")!;
                foreach (var key in map.Keys())
                {
                    if (Usd(map, key) is not { } cap)
                    {
                        continue;
                    }

                    if (key == BudgetSettings.DefaultEntry)
                    {
                        agentDefault = cap;
                    }
                    else if (!agents.Contains(key))
                    {
                        map.Error(key, $"no agent named \"{key}\"; name one of {string.Join(", ", agents)} or \"default\" (the cap of every agent not listed)");
                    }
                    else
                    {
                        perAgent[key] = cap;
                    }
                }

                map.Finish();
                break;
            default:
                agentDefault = Usd(reader, "per_agent_per_day_usd");
                break;
        }

        decimal? repositoryDefault = null;
        var perRepository = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
        if (reader.Kind("per_repository_per_day_usd") is not (JsonValueKind.Undefined or JsonValueKind.Object))
        {
            reader.Error("per_repository_per_day_usd", "must be an object such as { \"default\": 20, \"owner/name\": 5 } (a cap per repository, \"default\" for the rest)");
        }
        else if (reader.Object("per_repository_per_day_usd") is { } repositories)
        {
            foreach (var key in repositories.Keys())
            {
                if (Usd(repositories, key) is not { } cap)
                {
                    continue;
                }

                if (key == BudgetSettings.DefaultEntry)
                {
                    repositoryDefault = cap;
                }
                else if (!RepositoryPattern().IsMatch(key))
                {
                    repositories.Error(key, "is not a repository; name it as owner/name (any host) or host/owner/name, or \"default\" for every repository not listed");
                }
                else
                {
                    perRepository[key] = cap;
                }
            }

            repositories.Finish();
        }

        LoopBreakerSettings? loopBreaker = null;
        if (reader.Object("loop_breaker") is { } breaker)
        {
            if (!breaker.Has("max_tasks_per_pull_request"))
            {
                breaker.Error("max_tasks_per_pull_request", "is required; give the most tasks one pull request may have within the window, such as 10");
            }

            var max = (int)breaker.Integer("max_tasks_per_pull_request", 10, min: 1, max: 10_000);
            var window = breaker.Duration("window", TimeSpan.FromHours(1));
            if (window < TimeSpan.FromMinutes(1) || window > TimeSpan.FromDays(7))
            {
                breaker.Error("window", $"{Duration.Format(window)} is outside 1m to 7d; use a window such as \"1h\" (the default)");
            }

            breaker.Finish(LoopBreakerKeys);
            loopBreaker = new LoopBreakerSettings(max, window);
        }

        reader.Finish(Keys);
        return new BudgetSettings(agentDefault, perAgent, repositoryDefault, perRepository, loopBreaker) { HasAgentMap = agentMap };
    }

    private static decimal? Usd(JsonObjectReader reader, string key)
    {
        if (reader.Kind(key) != JsonValueKind.Number)
        {
            reader.Error(key, "must be a number of US dollars per UTC day, such as 5 or 12.50");
            return null;
        }

        var value = reader.Number(key, -1, min: 0, max: MaxUsd);
        return value < 0 ? null : (decimal)value;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+){1,4}$")]
    private static partial Regex RepositoryPattern();
}
