using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class BudgetConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" }, "reviewer": { "role": "reviewer", "forge_user": "r" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoBudgets_HasNoCapAndNoLoopBreaker()
    {
        var budgets = Parse($$"""{ {{Agents}} }""").Budgets;

        Assert.Null(budgets.AgentCap("dev"));
        Assert.Null(budgets.RepositoryCap("git.example.org/o/r"));
        Assert.Null(budgets.LoopBreaker);
    }

    [Fact]
    public void Parse_AgentCapAsNumber_AppliesToEveryAgentUnderTheOneKey()
    {
        var budgets = Parse($$"""{ "budgets": { "per_agent_per_day_usd": 5 }, {{Agents}} }""").Budgets;

        Assert.Equal(new BudgetCap(5m, "budgets.per_agent_per_day_usd"), budgets.AgentCap("dev"));
        Assert.Equal(new BudgetCap(5m, "budgets.per_agent_per_day_usd"), budgets.AgentCap("reviewer"));
    }

    [Fact]
    public void Parse_AgentCapMap_GivesEachAgentItsOwnKeyAndTheRestTheDefault()
    {
        var budgets = Parse($$"""{ "budgets": { "per_agent_per_day_usd": { "dev": 2.5, "default": 10 } }, {{Agents}} }""").Budgets;

        Assert.Equal(new BudgetCap(2.5m, "budgets.per_agent_per_day_usd.dev"), budgets.AgentCap("dev"));
        Assert.Equal(new BudgetCap(10m, "budgets.per_agent_per_day_usd.default"), budgets.AgentCap("reviewer"));
    }

    [Fact]
    public void Parse_RepositoryCaps_MatchOwnerNameOnAnyHostOrTheFullKey_ElseTheDefault()
    {
        var budgets = Parse($$"""{ "budgets": { "per_repository_per_day_usd": { "default": 20, "Team/App": 3, "git.example.org/team/lib": 4 } }, {{Agents}} }""").Budgets;

        Assert.Equal(new BudgetCap(3m, "budgets.per_repository_per_day_usd.Team/App"), budgets.RepositoryCap("git.example.org/team/app"));
        Assert.Equal(new BudgetCap(4m, "budgets.per_repository_per_day_usd.git.example.org/team/lib"), budgets.RepositoryCap("git.example.org/team/lib"));
        Assert.Equal(new BudgetCap(20m, "budgets.per_repository_per_day_usd.default"), budgets.RepositoryCap("other.example.org/team/lib"));
        Assert.Equal(new BudgetCap(20m, "budgets.per_repository_per_day_usd.default"), budgets.RepositoryCap("git.example.org/team/myapp"));
    }

    [Fact]
    public void Parse_LoopBreaker_ReadsTheCountAndTheWindow()
    {
        var breaker = Parse($$"""{ "budgets": { "loop_breaker": { "max_tasks_per_pull_request": 6, "window": "30m" } }, {{Agents}} }""").Budgets.LoopBreaker;

        Assert.Equal(new LoopBreakerSettings(6, TimeSpan.FromMinutes(30)), breaker);
        Assert.Equal(TimeSpan.FromHours(1), Parse($$"""{ "budgets": { "loop_breaker": { "max_tasks_per_pull_request": 6 } }, {{Agents}} }""").Budgets.LoopBreaker!.Window);
    }

    [Theory]
    [InlineData("""{ "per_agent_per_day_usd": "5" }""", "budgets.per_agent_per_day_usd: must be a number of US dollars per UTC day")]
    [InlineData("""{ "per_agent_per_day_usd": -1 }""", "budgets.per_agent_per_day_usd: -1 is out of range; use a value from 0 to 1000000")]
    [InlineData("""{ "per_agent_per_day_usd": { "ghost": 1 } }""", "budgets.per_agent_per_day_usd.ghost: no agent named \"ghost\"; name one of dev, reviewer or \"default\"")]
    [InlineData("""{ "per_agent_per_day_usd": { "dev": true } }""", "budgets.per_agent_per_day_usd.dev: must be a number of US dollars per UTC day")]
    [InlineData("""{ "per_repository_per_day_usd": 5 }""", "budgets.per_repository_per_day_usd: must be an object such as { \"default\": 20, \"owner/name\": 5 }")]
    [InlineData("""{ "per_repository_per_day_usd": { "just-a-name": 5 } }""", "budgets.per_repository_per_day_usd.just-a-name: is not a repository; name it as owner/name")]
    [InlineData("""{ "loop_breaker": { "window": "1h" } }""", "budgets.loop_breaker.max_tasks_per_pull_request: is required")]
    [InlineData("""{ "loop_breaker": { "max_tasks_per_pull_request": 0 } }""", "budgets.loop_breaker.max_tasks_per_pull_request: 0 is out of range")]
    [InlineData("""{ "loop_breaker": { "max_tasks_per_pull_request": 3, "window": "30d" } }""", "budgets.loop_breaker.window: 30d is outside 1m to 7d")]
    [InlineData("""{ "per_day_usd": 5 }""", "budgets.per_day_usd: unknown key; remove it or check its spelling; known keys here: loop_breaker, per_agent_per_day_usd, per_repository_per_day_usd")]
    public void Parse_BadBudgets_NameTheKeyAndTheFix(string budgets, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "budgets": {{budgets}}, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
