using ClaudeHooks.Security;

namespace ClaudeHooks.Config;

/// <summary>The service's log format, metrics access and OTLP export keys.</summary>
internal static partial class ConfigLoader
{
    private static ServiceSettings ReadTelemetry(JsonObjectReader reader, ServiceSettings service)
    {
        LogFormat? format = null;
        if (reader.String("log_format") is { } name)
        {
            format = name switch
            {
                "simple" => LogFormat.Simple,
                "json" => LogFormat.Json,
                "systemd" => LogFormat.Systemd,
                _ => null,
            };
            if (format is null)
            {
                reader.Error("log_format", $"\"{name}\" is not a log format; use \"simple\", \"json\" or \"systemd\" (default: \"systemd\" under systemd, else \"simple\")");
            }
        }

        Uri? otlp = null;
        if (reader.String("otlp_endpoint") is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out otlp) || otlp.Scheme is not ("http" or "https") || otlp.Host.Length == 0
                || otlp.UserInfo.Length > 0 || otlp.Query.Length > 0 || otlp.Fragment.Length > 0)
            {
                reader.Error("otlp_endpoint", $"\"{endpoint}\" is not an absolute http(s) URL without credentials, query or fragment; give the collector's OTLP/HTTP metrics URL, such as \"http://127.0.0.1:4318/v1/metrics\"");
                otlp = null;
            }
        }

        return service with
        {
            LogFormat = format,
            OtlpEndpoint = otlp,
            MetricsOpenToLoopback = reader.Bool("metrics_open_to_loopback", false),
        };
    }
}
