using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeHooks.Hosting;

/// <summary>Readiness: the data directory's disk is above <c>service.min_free_disk</c>.</summary>
internal sealed class DiskHealthCheck(DiskGuard guard) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var storage = guard.Measure();
        return Task.FromResult(storage.Refusal is { } refusal
            ? HealthCheckResult.Unhealthy(refusal)
            : HealthCheckResult.Healthy($"{StorageStatus.Readable(storage.FreeBytes)} free in {storage.DataDirectory} (service.min_free_disk {StorageStatus.Readable(storage.MinFreeBytes)})"));
    }
}
