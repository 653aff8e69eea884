using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.Tests.Containers;

public sealed class ContainerReconcilerTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Up_CredentialsDirectoryWithOtherFiles_FailsBeforeTheEngineIsAsked()
    {
        _home.Write("creds/.credentials.json", "{}");
        _home.Write("creds/id_ed25519", "secret");
        var config = ConfigLoader.Parse("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": { "credentials_host_dir": "creds" } } } }""", new ClaudeHooksPaths(_home.Path));
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri("unix:///nonexistent/claude-hooks-test.sock")).Build();

        var error = await Assert.ThrowsAsync<ConfigException>(() => new ContainerReconciler(docker, config, NullLogger<ContainerReconciler>.Instance).UpAsync(config.Agents, CancellationToken.None));

        Assert.Contains("holds id_ed25519 besides .credentials.json", error.Message, StringComparison.Ordinal);
    }
}
