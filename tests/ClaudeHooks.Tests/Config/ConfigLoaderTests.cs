using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private readonly TempDirectory _home = new();
    private readonly ClaudeHooksPaths _paths;

    public ConfigLoaderTests()
    {
        _paths = new ClaudeHooksPaths(_home.Path);
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Load_RepositoryDefaultConfig_HasThreeHardenedAgents()
    {
        var config = ConfigLoader.Load(RepositoryFile("config/agents.json"), _paths);

        Assert.Equal("claude-hooks", config.ContainerPrefix);
        Assert.Equal(["boss", "dev", "reviewer"], config.Agents.Select(a => a.Name));
        Assert.Equal(AgentRole.Lead, config.Find("boss")!.Role);
        Assert.All(config.Agents, a => Assert.Equal(ContainerSettings.Hardened with { CapAdd = a.Container.CapAdd }, a.Container));
        Assert.All(config.Agents, a => Assert.Empty(a.Container.CapAdd));
        Assert.All(config.Agents, a => Assert.Empty(a.HardeningOverrides));
        Assert.Equal(Path.Combine(_home.Path, "claude-auth", "dev"), config.Find("dev")!.ClaudeAuth.Path);
    }

    [Fact]
    public void Parse_MinimalAgent_UsesDefaults()
    {
        var config = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "dev-bot" } } }""");

        var dev = Assert.Single(config.Agents);
        Assert.Equal("claude-hooks/agent-base:latest", dev.Image);
        Assert.Equal(ClaudeAuthKind.OAuthTokenFile, dev.ClaudeAuth.Kind);
        Assert.Equal(4L << 30, dev.Container.MemoryBytes);
        Assert.Equal(dev.Container.MemoryBytes, dev.Container.MemorySwapBytes);
        Assert.Null(config.Model.BaseUrl);
    }

    [Theory]
    [InlineData("""{ "agents": {}, "colour": "red" }""", "agents.json: colour: unknown key")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "contianer": {} } } }""", "agents.dev.contianer: unknown key")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "memroy": "1g" } } } }""", "agents.dev.container.memroy: unknown key")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "memory": "4x" } } } }""", "agents.dev.container.memory: \"4x\" is not a size; use a number with a unit such as \"4g\"")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "memory": 4 } } } }""", "agents.dev.container.memory: must be a size string")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "memory": "1k" } } } }""", "agents.dev.container.memory: \"1k\" is too small")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "memory": "1g", "memory_swap": "512m" } } } }""", "agents.dev.container.memory_swap: 512m is below memory 1g")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "pids": 0 } } } }""", "agents.dev.container.pids: 0 is out of range")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "cpus": "two" } } } }""", "agents.dev.container.cpus: must be a number, not the string \"two\"")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "network": "host" } } } }""", "agents.dev.container.network: \"host\" is not allowed")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "user": "root" } } } }""", "agents.dev.container.user: agents never run as root")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "cap_add": ["SYS_ADMIN"] } } } }""", "agents.dev.container.cap_add: SYS_ADMIN is never granted")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "cap_add": ["FLY"] } } } }""", "agents.dev.container.cap_add: \"FLY\" is not a Linux capability")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "seccomp": "/tmp/p.json" } } } }""", "agents.dev.container.seccomp: \"/tmp/p.json\" is not supported")]
    [InlineData("""{ "agents": { "dev": { "role": "developer", "forge_user": "d" } } }""", "agents.dev.role: \"developer\" is not a role; use \"lead\", \"dev\" or \"reviewer\"")]
    [InlineData("""{ "agents": { "dev": { "role": "dev" } } }""", "agents.dev.forge_user: is required")]
    [InlineData("""{ "agents": { "Dev!": { "role": "dev", "forge_user": "d" } } }""", "agents.Dev!: is not a valid agent name")]
    [InlineData("""{ "agents": { "dev": "yes" } }""", "agents.dev: must be an object")]
    [InlineData("""{ "container_prefix": "Bad Prefix", "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", "container_prefix: \"Bad Prefix\" is not usable in container names")]
    [InlineData("""{ "model": { "base_url": "ftp://x" }, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", "model.base_url: \"ftp://x\" is not an http(s) URL")]
    [InlineData("""{ "images": { "default": "UPPER CASE" }, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", "images.default: \"UPPER CASE\" is not an image reference")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": {} } } }""", "agents.dev.claude_auth: names no credential; set exactly one of oauth_token_file")]
    [InlineData("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": { "oauth_token_file": "a", "api_key_file": "b" } } } }""", "agents.dev.claude_auth: sets oauth_token_file and api_key_file; keep exactly one")]
    [InlineData("""{ "agents": { "a": { "role": "dev", "forge_user": "bot" }, "b": { "role": "reviewer", "forge_user": "BOT" } } }""", "is also used by a, b; give each agent its own forge account")]
    [InlineData("""{ }""", "agents: is required")]
    [InlineData("""[1, 2]""", "the top level must be an object")]
    public void Parse_BadInput_NamesFileKeyAndFix(string json, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse(json));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MalformedJson_GivesLineAndColumn()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("{\n  \"agents\": {\n    \"dev\": { \"role\": \"dev\",, }\n  }\n}"));

        var message = Assert.Single(error.Errors);
        Assert.StartsWith($"{File}: line 3, column", message, StringComparison.Ordinal);
        Assert.EndsWith("fix the syntax", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralMistakes_ReportsEveryOne()
    {
        var error = Assert.Throws<ConfigException>(() => Parse("""
            { "agents": { "dev": { "role": "x", "forge_user": "d", "container": { "memory": "lots", "pids": -1 } } }, "extra": 1 }
            """));

        Assert.Equal(4, error.Errors.Count);
    }

    [Fact]
    public void Load_MissingFile_SaysHowToPointAtOne()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.Combine(_home.Path, "nope.json"), _paths));

        Assert.Contains("file not found; pass --config PATH", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CredentialsHostPath_ResolvesToItsDirectory()
    {
        var config = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": { "credentials_host_path": "creds/dev/.credentials.json" } } } }""");

        var auth = config.Agents[0].ClaudeAuth;
        Assert.Equal(ClaudeAuthKind.CredentialsDirectory, auth.Kind);
        Assert.Equal(Path.Combine(_home.Path, "creds", "dev"), auth.Path);
    }

    [Fact]
    public void Parse_Overrides_AreListedForLogging()
    {
        var config = Parse("""
            { "agents": { "dev": { "role": "dev", "forge_user": "d",
              "container": { "pids": 1024, "cap_add": ["net_raw"], "read_only_rootfs": false, "seccomp": "unconfined", "memory": "4g" } } } }
            """);

        var overrides = config.Agents[0].HardeningOverrides;
        Assert.Equal(4, overrides.Count);
        Assert.Contains("agents.dev.container.pids = 1024 (hardened default: 512)", overrides);
        Assert.Contains("agents.dev.container.cap_add = NET_RAW (hardened default: none)", overrides);
        Assert.Contains(overrides, o => o.StartsWith("agents.dev.container.read_only_rootfs = false", StringComparison.Ordinal));
        Assert.Contains(overrides, o => o.StartsWith("agents.dev.container.seccomp = unconfined", StringComparison.Ordinal));
    }

    [Fact]
    public void Select_UnknownAgent_ListsConfiguredOnes()
    {
        var config = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""");

        var error = Assert.Throws<ConfigException>(() => config.Select("qa"));

        Assert.Contains("no agent named \"qa\"; configured agents: dev", error.Message, StringComparison.Ordinal);
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, _paths);

    internal static string RepositoryFile(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relative);
            if (System.IO.File.Exists(candidate) && System.IO.File.Exists(Path.Combine(directory.FullName, "ClaudeHooks.slnx")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
