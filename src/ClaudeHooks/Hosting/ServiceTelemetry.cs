using ClaudeHooks.Config;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ClaudeHooks.Hosting;

/// <summary>
/// The service's metrics pipeline: the <see cref="ServiceMetrics.MeterName"/> meter read by the Prometheus
/// exporter behind <c>/metrics</c>, and pushed over OTLP/HTTP too when <c>service.otlp_endpoint</c> is set.
/// </summary>
internal static class ServiceTelemetry
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddServiceTelemetry(this IServiceCollection services, AgentsConfig config)
    {
        services.AddSingleton<TaskCounts>();
        services.AddSingleton(s =>
        {
            var metrics = new ServiceMetrics(s.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), s.GetRequiredService<TaskCounts>());

            // The egress log sees every gateway decision; a stored record is counted once.
            s.GetRequiredService<Gateway.EgressLog>().Recorded += record => metrics.GatewayDecision(record.Agent, record.Route, record.Decision);
            return metrics;
        });
        services.AddHostedService<TaskCreationHookup>();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("claude-hooks"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ServiceMetrics.MeterName).AddPrometheusExporter();
                if (config.Service.OtlpEndpoint is { } endpoint)
                {
                    metrics.AddOtlpExporter(otlp =>
                    {
                        otlp.Endpoint = endpoint;
                        otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
                    });
                }
            });
        return services;
    }

    /// <summary>Serves the Prometheus text format on <c>/metrics</c>; <see cref="Api.ApiSecurity"/> checks who may read it.</summary>
    public static WebApplication MapServiceMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
