using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class EventRetentionConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoKey_KeepsThirtyDays()
    {
        Assert.Equal(TimeSpan.FromDays(30), Parse($$"""{ {{Agents}} }""").Service.EventRetention);
        Assert.Equal(TimeSpan.FromDays(30), Parse($$"""{ "service": { "max_attempts": 2 }, {{Agents}} }""").Service.EventRetention);
    }

    [Fact]
    public void Parse_EventRetention_IsADuration()
    {
        Assert.Equal(TimeSpan.FromDays(90), Parse($$"""{ "service": { "event_retention": "90d" }, {{Agents}} }""").Service.EventRetention);
    }

    [Theory]
    [InlineData("\"30m\"", "service.event_retention: 30m is shorter than the hourly purge; use at least 1h (default 30d)")]
    [InlineData("\"a month\"", "service.event_retention: the string \"a month\" is not a duration")]
    [InlineData("30", "service.event_retention: the number 30 is not a duration")]
    public void Parse_BadEventRetention_NamesTheKeyAndTheFix(string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "event_retention": {{value}} }, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
