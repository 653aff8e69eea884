using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

/// <summary><c>service.min_free_disk</c>: the free space the data directory keeps before new tasks are refused.</summary>
public sealed class MinFreeDiskConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoKey_Keeps1GiB()
    {
        Assert.Equal(1L << 30, Parse($$"""{ {{Agents}} }""").Service.MinFreeDisk);
        Assert.Equal(1L << 30, Parse($$"""{ "service": { "max_attempts": 2 }, {{Agents}} }""").Service.MinFreeDisk);
    }

    [Theory]
    [InlineData("\"5GiB\"", 5L << 30)]
    [InlineData("\"512m\"", 512L << 20)]
    [InlineData("\"1.5g\"", 3L << 29)]
    public void Parse_MinFreeDisk_IsReadAsAByteSize(string value, long expected)
    {
        Assert.Equal(expected, Parse($$"""{ "service": { "min_free_disk": {{value}} }, {{Agents}} }""").Service.MinFreeDisk);
    }

    [Theory]
    [InlineData("\"lots\"", "service.min_free_disk: \"lots\" is not a size; use a number with a unit such as \"4g\"")]
    [InlineData("1073741824", "service.min_free_disk: must be a size string such as \"4g\" or \"512m\", not")]
    [InlineData("\"64k\"", "service.min_free_disk: \"64k\" is too small; use at least 1m")]
    public void Parse_BadMinFreeDisk_NamesTheFileTheKeyAndTheFix(string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "min_free_disk": {{value}} }, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MisspelledKey_ListsMinFreeDiskAmongTheKnownKeys()
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "min_free_disc": "1g" }, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.Contains("service.min_free_disc: unknown key", StringComparison.Ordinal) && e.Contains("min_free_disk", StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
