using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class EgressRetentionConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoServiceSection_KeepsFourteenDays()
    {
        Assert.Equal(TimeSpan.FromDays(14), Parse($$"""{ {{Agents}} }""").Service.EgressRetention);
        Assert.Equal(TimeSpan.FromDays(14), Parse($$"""{ "service": { "max_attempts": 2 }, {{Agents}} }""").Service.EgressRetention);
    }

    [Fact]
    public void Parse_EgressRetention_IsADuration()
    {
        Assert.Equal(TimeSpan.FromDays(30), Parse($$"""{ "service": { "egress_retention": "30d" }, {{Agents}} }""").Service.EgressRetention);
    }

    [Theory]
    [InlineData("\"30m\"", "service.egress_retention: 30m is shorter than the hourly purge; use at least 1h")]
    [InlineData("\"two weeks\"", "service.egress_retention: the string \"two weeks\" is not a duration")]
    public void Parse_BadEgressRetention_NamesTheKeyAndTheFix(string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "egress_retention": {{value}} }, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
