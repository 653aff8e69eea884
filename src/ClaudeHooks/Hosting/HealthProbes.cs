using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeHooks.Hosting;

/// <summary>
/// Liveness and readiness for supervisors and load balancers, apart from the full <c>GET /api/health</c>:
/// <c>/api/health/live</c> answers while the process does; <c>/api/health/ready</c> only while the database answers,
/// the disk has room and the service is not draining.
/// </summary>
internal static class HealthProbes
{
    public const string LivePath = "/api/health/live";
    public const string ReadyPath = "/api/health/ready";
    private const string Ready = "ready";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IServiceCollection AddHealthProbes(this IServiceCollection services)
    {
        services.AddSingleton<DiskGuard>();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<DiskHealthCheck>("disk", tags: [Ready])
            .AddCheck<DrainHealthCheck>("drain", tags: [Ready]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthProbes(this IEndpointRouteBuilder app)
    {
        // Liveness runs no check: a process that answers is alive, and restarting it for a full disk would not help.
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).WithName("GetLiveness");
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(Ready), ResponseWriter = WriteAsync }).WithName("GetReadiness");
        return app;
    }

    /// <summary>The probe's answer: its status, and each check's with what it found or the fix.</summary>
    internal static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = Name(report.Status),
            checks = report.Entries.Select(e => new { name = e.Key, status = Name(e.Value.Status), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json), context.RequestAborted);
    }

    private static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}
