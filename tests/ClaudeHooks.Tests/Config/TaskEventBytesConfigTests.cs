using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class TaskEventBytesConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoKey_Keeps32MiB()
    {
        Assert.Equal(32L << 20, Parse($$"""{ {{Agents}} }""").Service.MaxTaskEventBytes);
        Assert.Equal(32L << 20, Parse($$"""{ "service": { "max_attempts": 2 }, {{Agents}} }""").Service.MaxTaskEventBytes);
    }

    [Fact]
    public void Parse_MaxTaskEventBytes_IsRead()
    {
        Assert.Equal(1L << 20, Parse($$"""{ "service": { "max_task_event_bytes": 1048576 }, {{Agents}} }""").Service.MaxTaskEventBytes);
    }

    [Theory]
    [InlineData("1024", "service.max_task_event_bytes: 1024 is out of range; use a whole number from 65536 to 1073741824")]
    [InlineData("2147483648", "service.max_task_event_bytes: 2147483648 is out of range")]
    [InlineData("\"32m\"", "service.max_task_event_bytes: must be a whole number")]
    public void Parse_BadMaxTaskEventBytes_NamesTheKeyAndTheRange(string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "max_task_event_bytes": {{value}} }, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
