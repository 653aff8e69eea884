using ClaudeHooks.Agents;
using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Agents;

public sealed class ClaudeCommandLineTests
{
    private static readonly RunnerSettings Settings = new(TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(10), 25, 2.5m, "acceptEdits", ["Read", "Bash(git log:*)"], ["WebFetch"], "sonnet", "/x");
    private const string Session = "0b8c1c1e-1f4e-4a55-9b7c-3c7d2f0e9a11";

    [Fact]
    public void Build_NewSession_UsesSessionIdAndEqualsForms()
    {
        var argv = ClaudeCommandLine.Build(Settings, Session, resume: false, "Be careful.\nUse \"quotes\" and $vars.");

        Assert.Equal(
            [
                "claude", "-p", "--output-format=stream-json", "--verbose", $"--session-id={Session}", "--max-turns=25",
                "--permission-mode=acceptEdits", "--setting-sources=", "--strict-mcp-config", """--mcp-config={"mcpServers":{}}""", "--max-budget-usd=2.5", "--allowedTools=Read,Bash(git log:*)", "--disallowedTools=WebFetch",
                "--model=sonnet", "--append-system-prompt=Be careful.\nUse \"quotes\" and $vars.",
            ],
            argv);
    }

    [Fact]
    public void Build_Resume_UsesResumeEqualsForm()
    {
        var argv = ClaudeCommandLine.Build(Settings with { MaxBudgetUsd = null, AllowedTools = [], DisallowedTools = [], Model = null }, Session, resume: true, null);

        Assert.Contains($"--resume={Session}", argv);
        Assert.DoesNotContain(argv, a => a.StartsWith("--session-id", StringComparison.Ordinal) || a.StartsWith("--max-budget", StringComparison.Ordinal) || a.StartsWith("--model", StringComparison.Ordinal));
        Assert.DoesNotContain("--resume", argv);
    }

    [Fact]
    public void Build_NotAUuid_IsRefused() => Assert.Throws<ArgumentException>(() => ClaudeCommandLine.Build(Settings, "--upload-pack=x", resume: true, null));

    [Fact]
    public void Build_NeverCarriesSecrets()
    {
        using var home = new TempDirectory();
        home.Write("tokens/dev", "forge-secret-123");
        home.Write("claude-auth/dev", "sk-ant-oat01-secret");
        var config = ConfigLoader.Parse("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", new ClaudeHooksPaths(home.Path));

        var argv = ClaudeCommandLine.Build(config.Agents[0].Runner, Session, resume: false, "prompt");

        Assert.DoesNotContain(argv, a => a.Contains("forge-secret-123", StringComparison.Ordinal) || a.Contains("sk-ant", StringComparison.Ordinal) || a.Contains("TOKEN", StringComparison.Ordinal));
    }
}
