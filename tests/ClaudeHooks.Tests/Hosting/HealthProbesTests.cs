using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Hosting;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeHooks.Tests.Hosting;

/// <summary>The service's composition of its liveness and readiness probes, built as serve builds it, not started.</summary>
public sealed class HealthProbesTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _home.Dispose();
    }

    [Fact]
    public async Task AddApplicationServices_DiskBelowMinFreeDisk_ReadinessFailsOnTheDiskAlone_NamingTheKeyAndTheFix()
    {
        await using var app = await BuildAsync("\"1000t\"");
        var checks = app.Services.GetRequiredService<HealthCheckService>();

        var ready = await checks.CheckHealthAsync(r => r.Tags.Contains("ready"));

        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        Assert.Equal(["database", "disk", "drain"], ready.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(HealthStatus.Healthy, ready.Entries["database"].Status);
        Assert.Equal(HealthStatus.Healthy, ready.Entries["drain"].Status);
        Assert.Equal(HealthStatus.Unhealthy, ready.Entries["disk"].Status);
        Assert.Contains("below service.min_free_disk (1000 TiB); free space on its disk", ready.Entries["disk"].Description, StringComparison.Ordinal);
        Assert.NotNull(app.Services.GetRequiredService<DiskGuard>().Refusal());
    }

    [Fact]
    public async Task AddApplicationServices_DiskWithRoom_ReadinessHealthy_AndTheGuardLetsTasksIn()
    {
        await using var app = await BuildAsync("\"1m\"");
        var checks = app.Services.GetRequiredService<HealthCheckService>();

        var ready = await checks.CheckHealthAsync(r => r.Tags.Contains("ready"));

        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Null(app.Services.GetRequiredService<DiskGuard>().Refusal());
    }

    [Fact]
    public async Task AddApplicationServices_WorkerDraining_ReadinessFailsOnTheDrain_SayingWhenToSendWorkAgain()
    {
        await using var app = await BuildAsync("\"1m\"");
        var checks = app.Services.GetRequiredService<HealthCheckService>();

        // The drain a SIGTERM starts; with no task running it ends at once and leaves the worker claiming nothing.
        await app.Services.GetRequiredService<ClaudeHooks.Tasks.TaskWorker>().StoppingAsync(CancellationToken.None);
        var ready = await checks.CheckHealthAsync(r => r.Tags.Contains("ready"));

        Assert.Equal(HealthStatus.Unhealthy, ready.Status);
        Assert.Equal(HealthStatus.Unhealthy, ready.Entries["drain"].Status);
        Assert.StartsWith("the service is draining", ready.Entries["drain"].Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, ready.Entries["disk"].Status);
    }

    [Fact]
    public async Task MapApplicationApis_MapsTheLiveAndReadyProbesBesideTheFullHealth()
    {
        await using var app = await BuildAsync("\"1m\"");

        var routes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().Select(e => e.RoutePattern.RawText).ToList();

        Assert.Contains("/api/health", routes);
        Assert.Contains(HealthProbes.LivePath, routes);
        Assert.Contains(HealthProbes.ReadyPath, routes);
    }

    private async Task<WebApplication> BuildAsync(string minFreeDisk)
    {
        var paths = new ClaudeHooksPaths(_home.Path);
        var config = ConfigLoader.Parse(Path.Combine(_home.Path, "agents.json"), $$"""
            { "container_prefix": "chp-{{Guid.NewGuid().ToString("N")[..6]}}", "service": { "min_free_disk": {{minFreeDisk}} },
              "agents": { "dev": { "role": "dev", "forge_user": "d" } } }
            """, paths);
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_home.Path, "data"));
        var token = ApiToken.LoadOrCreate(paths, out _);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddApplicationServices(config, paths, DockerConnection.Create(), database, new SecretRedactor(new SecretCatalog(() => [])), token);
        var app = builder.Build();
        app.MapApplicationApis(token, config);
        return app;
    }
}
