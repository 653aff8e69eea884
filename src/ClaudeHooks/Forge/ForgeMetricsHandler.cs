using ClaudeHooks.Hosting;

namespace ClaudeHooks.Forge;

/// <summary>Counts each attempt the forge client sends, inside the resilience pipeline, so a retried call counts every try.</summary>
internal sealed class ForgeMetricsHandler(ServiceMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            metrics.ForgeRequest(request.Method.Method, ServiceMetrics.ForgeOutcome((int)response.StatusCode, null));
            return response;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException)
        {
            metrics.ForgeRequest(request.Method.Method, ServiceMetrics.ForgeOutcome(null, e));
            throw;
        }
    }
}
