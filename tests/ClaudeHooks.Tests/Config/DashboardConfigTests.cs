using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class DashboardConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoKeys_TwelveHourSessionsAndFourteenDayLinks()
    {
        var service = Parse($$"""{ {{Agents}} }""").Service;

        Assert.Equal(TimeSpan.FromHours(12), service.SessionTtl);
        Assert.Equal(TimeSpan.FromDays(14), service.LinkTtl);
    }

    [Fact]
    public void Parse_BothKeys_AreDurations()
    {
        var service = Parse($$"""{ "service": { "session_ttl": "2h", "link_ttl": "3d" }, {{Agents}} }""").Service;

        Assert.Equal(TimeSpan.FromHours(2), service.SessionTtl);
        Assert.Equal(TimeSpan.FromDays(3), service.LinkTtl);
    }

    [Theory]
    [InlineData("session_ttl", "\"1m\"", "service.session_ttl: 1m is outside 5m to 30d")]
    [InlineData("session_ttl", "\"60d\"", "service.session_ttl: 60d is outside 5m to 30d")]
    [InlineData("link_ttl", "\"1s\"", "service.link_ttl: 1s is outside 5m to 90d")]
    [InlineData("link_ttl", "\"1y\"", "service.link_ttl: the string \"1y\" is not a duration")]
    [InlineData("link_ttl", "14", "service.link_ttl")]
    public void Parse_BadValue_NamesTheKeyAndTheRange(string key, string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "{{key}}": {{value}} }, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
