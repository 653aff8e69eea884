using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Gateway;

/// <summary>Runs the gateway for the service's lifetime: started before the workers claim anything, with the sockets of sandboxes still running served again; stopped after them.</summary>
internal sealed class GatewayService(HostGateway gateway, ContainerRuntime runtime, AgentsConfig config) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken) =>
        await gateway.StartAsync(await SandboxManager.RunningSocketsAsync(runtime, config.ContainerPrefix, cancellationToken), cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await gateway.DisposeAsync();
}
