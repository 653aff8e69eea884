using System.Net;
using ClaudeHooks.Config;

namespace ClaudeHooks.Api;

/// <summary>
/// Every request: the Host header must name this machine (DNS-rebinding and cross-site requests carry a foreign
/// one), and a bearer token must match, except for <c>GET /api/health</c> (and its probes <c>/live</c> and <c>/ready</c>) from loopback and the dashboard
/// (<c>/</c> and <c>/ui</c>), whose session cookie or signed link is checked by its own pages.
/// </summary>
internal static class ApiSecurity
{
    public static IApplicationBuilder UseApiSecurity(this IApplicationBuilder app, ApiToken token, AgentsConfig config)
    {
        var allowed = new HashSet<string>(["localhost", "127.0.0.1", "::1", "[::1]", .. config.Service.AllowedHosts], StringComparer.OrdinalIgnoreCase);
        return app.Use(async (context, next) =>
        {
            var host = context.Request.Host.Host;
            if (!allowed.Contains(host))
            {
                await Problems.Write(context, StatusCodes.Status403Forbidden, "Host not allowed",
                    $"Host \"{host}\" is not this service; call it as localhost or 127.0.0.1, or add the name to service.allowed_hosts", "Host");
                return;
            }

            // The dashboard signs people in with the token and keeps a session cookie; its pages check that themselves.
            if (Dashboard.DashboardPaths.Contains(context.Request.Path))
            {
                await next(context);
                return;
            }

            // Webhooks prove themselves with the HMAC of their body instead of the bearer token.
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/webhook", StringComparison.Ordinal))
            {
                await next(context);
                return;
            }

            // The API's description holds no data, only the shape the public source has too; a browser opens it without a token.
            if (HttpMethods.IsGet(context.Request.Method) && (context.Request.Path == ApiDocument.Path || context.Request.Path == ApiDocs.Path))
            {
                await next(context);
                return;
            }

            var remote = context.Connection.RemoteIpAddress;
            var health = HttpMethods.IsGet(context.Request.Method) && context.Request.Path.StartsWithSegments("/api/health", StringComparison.Ordinal);
            if (health && remote is not null && IPAddress.IsLoopback(remote))
            {
                await next(context);
                return;
            }

            // Prometheus on the same machine may scrape without the token, when the operator opens it so.
            var metrics = HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals(Hosting.ServiceTelemetry.MetricsPath, StringComparison.Ordinal);
            if (metrics && config.Service.MetricsOpenToLoopback && remote is not null && IPAddress.IsLoopback(remote))
            {
                await next(context);
                return;
            }

            var header = context.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
            if (!token.Matches(presented))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problems.Write(context, StatusCodes.Status401Unauthorized, "Unauthorized",
                    presented is null
                        ? "send 'Authorization: Bearer <token>' with the token from $CLAUDE_HOOKS_HOME/api-token"
                        : "the bearer token does not match $CLAUDE_HOOKS_HOME/api-token", "Authorization");
                return;
            }

            await next(context);
        });
    }
}
