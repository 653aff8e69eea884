using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class RunnerConfigTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoRunnerSection_UsesDefaultsAndRolePrompt()
    {
        var config = Parse("""{ "agents": { "rev": { "role": "reviewer", "forge_user": "r" } } }""");

        var runner = config.Agents[0].Runner;
        Assert.Equal(TimeSpan.FromMinutes(60), runner.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(10), runner.IdleTimeout);
        Assert.Equal("bypassPermissions", runner.PermissionMode);
        Assert.Equal("/etc/claude-hooks/prompts/reviewer.md", runner.PromptFile);
        Assert.Equal(WorkdirSettings.Default, config.Workdir);
    }

    [Fact]
    public void Parse_RunnerAndWorkdir_AreRead()
    {
        var config = Parse("""
            { "workdir": { "allow_local_repos": true, "stale_after": "2d" },
              "agents": { "dev": { "role": "dev", "forge_user": "d", "runner": {
                "timeout": "1h30m", "idle_timeout": "90s", "max_turns": 7, "max_budget_usd": 1.5, "permission_mode": "acceptEdits",
                "allowed_tools": ["Read"], "disallowed_tools": ["WebFetch"], "model": "sonnet", "prompt_file": "p/dev.md" } } } }
            """);

        var runner = config.Agents[0].Runner;
        Assert.Equal(new WorkdirSettings(true, TimeSpan.FromDays(2)), config.Workdir);
        Assert.Equal((TimeSpan.FromMinutes(90), TimeSpan.FromSeconds(90), 7, 1.5m), (runner.Timeout, runner.IdleTimeout, runner.MaxTurns, runner.MaxBudgetUsd));
        Assert.Equal(("acceptEdits", "sonnet", "/etc/claude-hooks/p/dev.md"), (runner.PermissionMode, runner.Model, runner.PromptFile));
    }

    [Theory]
    [InlineData("""{ "timeout": "forever" }""", "agents.dev.runner.timeout: the string \"forever\" is not a duration")]
    [InlineData("""{ "idle_timeout": "2h" }""", "agents.dev.runner.idle_timeout: 2h is longer than timeout 1h")]
    [InlineData("""{ "permission_mode": "yolo" }""", "agents.dev.runner.permission_mode: \"yolo\" is not a permission mode")]
    [InlineData("""{ "max_turns": 0 }""", "agents.dev.runner.max_turns: 0 is out of range")]
    [InlineData("""{ "allowed_tools": ["--dangerously-skip-permissions"] }""", "is not a tool rule")]
    [InlineData("""{ "model": "--evil" }""", "agents.dev.runner.model: \"--evil\" is not a model name")]
    [InlineData("""{ "turns": 3 }""", "agents.dev.runner.turns: unknown key")]
    public void Parse_BadRunner_NamesKeyAndFix(string runner, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "runner": {{runner}} } } }"""));

        Assert.Contains(error.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h30m", 5400)]
    [InlineData("7d", 604800)]
    [InlineData("250ms", 0.25)]
    public void Duration_TryParse_Forms(string text, double seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(seconds, value.TotalSeconds);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("m")]
    [InlineData("-5m")]
    [InlineData("0s")]
    [InlineData("5 minutes")]
    public void Duration_TryParse_Nonsense(string text) => Assert.False(Duration.TryParse(text, out _));

    private AgentsConfig Parse(string json) => ConfigLoader.Parse("/etc/claude-hooks/agents.json", json, new ClaudeHooksPaths(_home.Path));
}
