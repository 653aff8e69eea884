using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Tests.Containers;

public sealed class AgentCredentialsTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly AgentsConfig _config;
    private readonly AgentCredentials _credentials;

    public AgentCredentialsTests()
    {
        var paths = new ClaudeHooksPaths(_home.Path);
        _config = ConfigLoader.Parse("agents.json", """
            { "model": { "base_url": "http://10.0.0.1:9000/" },
              "agents": { "dev": { "role": "dev", "forge_user": "d" },
                          "reviewer": { "role": "reviewer", "forge_user": "r", "claude_auth": { "api_key_file": "keys/reviewer" } } } }
            """, paths);
        _credentials = new AgentCredentials(_config, paths);
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public void ExecEnvironment_ReadsTheTokenFileEachTime()
    {
        _home.Write("tokens/dev", "first\n");
        _home.Write("claude-auth/dev", "oauth-1");
        var dev = _config.Find("dev")!;

        var before = _credentials.ExecEnvironment(dev, includeForgeToken: true);
        _home.Write("tokens/dev", "second");
        var after = _credentials.ExecEnvironment(dev, includeForgeToken: true);

        Assert.Contains("FORGE_TOKEN=first", before);
        Assert.Contains("FORGE_TOKEN=second", after);
        Assert.Contains("CLAUDE_CODE_OAUTH_TOKEN=oauth-1", after);
        Assert.Contains("ANTHROPIC_BASE_URL=http://10.0.0.1:9000", after);
        Assert.Contains("CLAUDE_CONFIG_DIR=/home/claude/.claude", after);
    }

    [Fact]
    public void ExecEnvironment_WithoutForgeToken_LeavesItOut()
    {
        _home.Write("keys/reviewer", "sk-ant-api-key");

        var environment = _credentials.ExecEnvironment(_config.Find("reviewer")!, includeForgeToken: false);

        Assert.Contains("ANTHROPIC_API_KEY=sk-ant-api-key", environment);
        Assert.DoesNotContain(environment, e => e.StartsWith("FORGE_TOKEN=", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadForgeToken_Missing_SaysWhereToWriteIt()
    {
        var error = Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!));

        Assert.Contains($"{_home.Path}/tokens/dev: not found; write the dev agent's forge token (user d) there", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadForgeToken_WorldReadable_IsRefused()
    {
        _home.Write("tokens/dev", "t", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!));

        Assert.Contains("readable or writable by other users (mode 604); run 'chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadForgeToken_EmptyOrMultiline_IsRefused()
    {
        _home.Write("tokens/dev", "  \n");
        Assert.Contains("empty", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);

        _home.Write("tokens/dev", "a\nb");
        Assert.Contains("more than one line", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadForgeToken_Unreadable_IsRefused()
    {
        if (Environment.UserName == "root")
        {
            // root reads any file regardless of mode; the directory case below still applies.
            Directory.CreateDirectory(Path.Combine(_home.Path, "tokens", "dev"));
            Assert.Contains("not found", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);
            return;
        }

        _home.Write("tokens/dev", "t", UnixFileMode.None);
        Assert.Contains("cannot be read", Assert.Throws<CredentialException>(() => _credentials.ReadForgeToken(_config.Find("dev")!)).Message, StringComparison.Ordinal);
    }
}
