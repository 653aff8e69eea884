using System.Text.RegularExpressions;
using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed partial class ShutdownBudgetTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void TimeoutStopSec_EqualsTheSystemdUnits()
    {
        var unit = System.IO.File.ReadAllText(ConfigLoaderTests.RepositoryFile("deploy/systemd/claude-hooks.service"));

        var matches = TimeoutStopSecLine().Matches(unit);

        Assert.Single(matches);
        Assert.Equal(ShutdownBudget.TimeoutStopSec, TimeSpan.FromSeconds(int.Parse(matches[0].Groups["seconds"].Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void MaxDrainTimeout_WithEveryLaterStageAndTheMargin_FitsTimeoutStopSec()
    {
        Assert.True(ShutdownBudget.Margin >= TimeSpan.FromSeconds(5));
        Assert.True(ShutdownBudget.MaxDrainTimeout > TimeSpan.Zero);
        Assert.True(ShutdownBudget.HostShutdownTimeout(ShutdownBudget.MaxDrainTimeout) + ShutdownBudget.Margin <= ShutdownBudget.TimeoutStopSec);
    }

    [Fact]
    public void HostShutdownTimeout_CoversTheDrainAndTheStagesAfterIt()
    {
        var drain = TimeSpan.FromSeconds(30);

        Assert.Equal(drain + ShutdownBudget.CancelRunning + ShutdownBudget.StopServices, ShutdownBudget.HostShutdownTimeout(drain));
    }

    [Fact]
    public void Parse_DefaultDrainTimeout_Fits()
    {
        var service = Parse($$"""{ {{Agents}} }""").Service;

        Assert.Equal(ServiceSettings.Default.DrainTimeout, service.DrainTimeout);
        Assert.True(ShutdownBudget.HostShutdownTimeout(service.DrainTimeout) + ShutdownBudget.Margin <= ShutdownBudget.TimeoutStopSec);
    }

    [Fact]
    public void Parse_LargestAllowedDrainTimeout_IsAccepted()
    {
        var largest = Duration.Format(ShutdownBudget.MaxDrainTimeout);

        Assert.Equal(ShutdownBudget.MaxDrainTimeout, Parse($$"""{ "service": { "drain_timeout": "{{largest}}" }, {{Agents}} }""").Service.DrainTimeout);
    }

    [Theory]
    [InlineData("201s")]
    [InlineData("290s")]
    [InlineData("10m")]
    public void Parse_DrainTimeoutThatDoesNotFit_IsRefusedNamingTheKeyTheMaximumAndWhy(string value)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "drain_timeout": "{{value}}" }, {{Agents}} }"""));

        var message = Assert.Single(error.Errors);
        Assert.StartsWith($"{File}: service.drain_timeout: {value} does not fit the systemd unit's TimeoutStopSec=300", message, StringComparison.Ordinal);
        Assert.Contains($"use at most {Duration.Format(ShutdownBudget.MaxDrainTimeout)}", message, StringComparison.Ordinal);
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));

    [GeneratedRegex(@"^\s*TimeoutStopSec\s*=\s*(?<seconds>\d+)s?\s*$", RegexOptions.Multiline)]
    private static partial Regex TimeoutStopSecLine();
}
