using ClaudeHooks.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeHooks.Hosting;

/// <summary>Readiness: the worker still claims tasks; a draining service is on its way out and should get no new work.</summary>
internal sealed class DrainHealthCheck(TaskWorker worker) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(worker.Draining
            ? HealthCheckResult.Unhealthy("the service is draining (it got SIGTERM) and claims no new tasks; send work to it once it has restarted")
            : HealthCheckResult.Healthy("claiming tasks"));
}
