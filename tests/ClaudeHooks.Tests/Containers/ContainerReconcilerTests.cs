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
    public async Task Up_GatewayFolderOthersCanEnter_FailsWithTheChmod_BeforeTheEngineIsAsked()
    {
        var config = ConfigLoader.Parse("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", new ClaudeHooksPaths(_home.Path));
        Directory.CreateDirectory(config.GatewayRoot);
        File.SetUnixFileMode(config.GatewayRoot, (UnixFileMode)0b111_101_101);
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri("unix:///nonexistent/claude-hooks-test.sock")).Build();

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => new ContainerReconciler(docker, config, NullLogger<ContainerReconciler>.Instance).UpAsync(config.Agents, CancellationToken.None));

        Assert.Contains($"{config.GatewayRoot}: mode 755 lets other users reach the gateway's sockets; run 'chmod 700 {config.GatewayRoot}'", error.Message, StringComparison.Ordinal);
    }
}
