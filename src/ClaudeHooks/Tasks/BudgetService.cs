using ClaudeHooks.Gateway;

namespace ClaudeHooks.Tasks;

/// <summary>Gives the gateway the budget guard before the gateway serves, so every model response of the service's tasks is counted.</summary>
internal sealed class BudgetService(HostGateway gateway, BudgetGuard guard) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        gateway.Budgets = guard;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
