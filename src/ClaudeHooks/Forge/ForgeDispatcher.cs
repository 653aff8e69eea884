using System.Text.Json;
using ClaudeHooks.Config;

namespace ClaudeHooks.Forge;

/// <summary>
/// Turns stored webhook deliveries into work, after the fast 2xx: routes each one, checks that a person asking for
/// work may (write access or the repository's allowlist), queues it through the flows (semantic dedupe), and
/// records what came of it. Deliveries stored before a crash are processed at the next start.
/// </summary>
internal sealed partial class ForgeDispatcher(AgentsConfig config, IForgeStore store, ForgeFlows flows, ILogger<ForgeDispatcher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _nudge = new(0, int.MaxValue);

    public void Nudge() => _nudge.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ProcessPendingAsync(stoppingToken);
                await _nudge.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogFailed("dispatch", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    internal async Task ProcessPendingAsync(CancellationToken cancellationToken)
    {
        foreach (var delivery in await store.PendingDeliveriesAsync(cancellationToken))
        {
            try
            {
                var (outcome, taskId) = await ProcessAsync(delivery, cancellationToken);
                await store.CompleteDeliveryAsync(delivery.DeliveryId, outcome, taskId, cancellationToken);
                LogDelivery(delivery.DeliveryId, delivery.EventType, outcome);
            }
            catch (ForgeApiException e)
            {
                // The forge could not be asked (permission check, prompt): the delivery stays pending for the next pass.
                LogFailed(delivery.DeliveryId, e.Message);
            }
        }
    }

    private async Task<(string Outcome, string? TaskId)> ProcessAsync(PendingDelivery delivery, CancellationToken cancellationToken)
    {
        if (config.Forge?.Find(delivery.Repo) is not { } repository)
        {
            return ($"ignored: {delivery.Repo} is no longer configured", null);
        }

        WebhookEvent e;
        try
        {
            using var document = JsonDocument.Parse(delivery.Body);
            e = WebhookEvent.Parse(delivery.EventType, document.RootElement);
        }
        catch (JsonException ex)
        {
            return ($"unreadable payload: {ex.Message}", null);
        }

        var route = ForgeRouter.Route(e, config, repository);
        if (route.Work is not { } work)
        {
            return (route.Outcome, null);
        }

        var agent = config.Find(work.Agent)!;
        if (!await AuthorizedAsync(e.Sender, agent, repository, cancellationToken))
        {
            return ($"refused: {e.Sender} has no write access to {repository.FullName} and is not in its authorized_users", null);
        }

        var id = await flows.QueueAsync(work, $"webhook {delivery.DeliveryId}", e.Title, e.Body, cancellationToken);
        return id is null ? ($"duplicate: the same event ({work.SemanticKey}) already queued a task", null) : ($"queued task {id} ({work.Kind} for {work.Agent})", id);
    }

    private async Task<bool> AuthorizedAsync(string sender, AgentConfig agent, ForgeRepository repository, CancellationToken cancellationToken)
    {
        if (repository.AuthorizedUsers.Contains(sender, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        var permission = await flows.Client(agent, repository).GetPermissionAsync(repository.FullName, sender, cancellationToken);
        return permission is "write" or "admin" or "owner";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "webhook {Delivery} ({EventType}): {Outcome}")]
    private partial void LogDelivery(string delivery, string eventType, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook {Delivery}: {Error}; will retry")]
    private partial void LogFailed(string delivery, string error);
}
