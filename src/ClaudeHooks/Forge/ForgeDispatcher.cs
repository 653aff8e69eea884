using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Forge;

/// <summary>
/// Turns stored webhook deliveries into work, after the fast 2xx: routes each one, checks that a person asking for
/// work may (<see cref="ForgeAuthorization"/>), queues it through the flows (semantic dedupe), and records what came of
/// it. Deliveries stored before a crash are processed at the next start. Each delivery is processed on its own: one
/// that fails is tried again with backoff, at most <see cref="MaxAttempts"/> times, and is then given up as dead, while
/// the ones behind it go on.
/// </summary>
internal sealed partial class ForgeDispatcher(
    AgentsConfig config,
    IForgeStore store,
    Func<AgentConfig, ForgeRepository, IForgeClient> clients,
    ForgeQueue queue,
    TimeProvider clock,
    ILogger<ForgeDispatcher> logger,
    Hosting.DiskGuard? disk = null) : BackgroundService
{
    private bool _heldForDisk;

    /// <summary>Attempts before a delivery is dead; with <see cref="RetryDelays"/> about 45 minutes, enough to ride out a forge restart or a token being replaced.</summary>
    internal const int MaxAttempts = 6;

    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30)];

    private readonly SemaphoreSlim _nudge = new(0, int.MaxValue);

    public void Nudge() => _nudge.Release();

    /// <summary>How long a delivery waits after its <paramref name="attempt"/>th failed attempt: the schedule, give or take a fifth, so deliveries that failed together do not all come back at once.</summary>
    internal static TimeSpan RetryDelay(int attempt) =>
        RetryDelays[Math.Clamp(attempt, 1, RetryDelays.Length) - 1] * (0.8 + (0.4 * Random.Shared.NextDouble()));

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
                // Only the store can fail here (every delivery's own failure is recorded on it): wait and read it again.
                LogStoreFailed(e.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    internal async Task ProcessPendingAsync(CancellationToken cancellationToken)
    {
        // Below service.min_free_disk no new task is stored: deliveries stay pending, untouched, until there is room.
        if (disk?.Refusal() is { } full)
        {
            if (!_heldForDisk)
            {
                LogHeldForDisk(full);
                _heldForDisk = true;
            }

            return;
        }

        _heldForDisk = false;
        foreach (var delivery in await store.PendingDeliveriesAsync(clock.GetUtcNow(), cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            (string Outcome, string? TaskId) result;
            try
            {
                result = await ProcessAsync(delivery, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever went wrong (the forge, a missing token file, a bug), it is this delivery's alone.
                await FailedAsync(delivery, Describe(e), cancellationToken);
                continue;
            }

            await store.CompleteDeliveryAsync(delivery.DeliveryId, result.Outcome, result.TaskId, cancellationToken);
            LogDelivery(delivery.DeliveryId, delivery.EventType, result.Outcome);
        }
    }

    private async Task FailedAsync(PendingDelivery delivery, string error, CancellationToken cancellationToken)
    {
        var attempt = delivery.Attempts + 1;
        if (attempt >= MaxAttempts)
        {
            var outcome = $"dead: {error} after {attempt} attempts";
            await store.AbandonDeliveryAsync(delivery.DeliveryId, error, outcome, cancellationToken);
            LogDead(delivery.DeliveryId, delivery.EventType, outcome);
            return;
        }

        var next = clock.GetUtcNow() + RetryDelay(attempt);
        await store.PostponeDeliveryAsync(delivery.DeliveryId, error, next, cancellationToken);
        LogRetry(delivery.DeliveryId, delivery.EventType, attempt, MaxAttempts, error, next);
    }

    /// <summary>The forge's and the credentials' own messages already say what to fix; anything else is named by its type.</summary>
    private static string Describe(Exception e) =>
        e is ForgeApiException or CredentialException ? e.Message : $"{e.GetType().Name}: {e.Message}";

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
            e = repository.Kind == ForgeKind.GitHub
                ? GitHubWebhookEvent.Parse(delivery.EventType, document.RootElement)
                : WebhookEvent.Parse(delivery.EventType, document.RootElement);
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
        if (!await ForgeAuthorization.MayAskAsync(e.Sender, repository, () => clients(agent, repository), cancellationToken))
        {
            return ($"refused: {ForgeAuthorization.Refusal(e.Sender, repository)}", null);
        }

        var id = await queue(work, $"webhook {delivery.DeliveryId}", e.Title, e.Body, cancellationToken);
        return id is null ? ($"duplicate: the same event ({work.SemanticKey}) already queued a task", null) : ($"queued task {id} ({work.Kind} for {work.Agent})", id);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook deliveries wait, stored and unprocessed, until the disk has room: {Reason}")]
    private partial void LogHeldForDisk(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "webhook {Delivery} ({EventType}): {Outcome}")]
    private partial void LogDelivery(string delivery, string eventType, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook {Delivery} ({EventType}): attempt {Attempt} of {MaxAttempts} failed: {Error}; next attempt at {NextAttempt:O}")]
    private partial void LogRetry(string delivery, string eventType, int attempt, int maxAttempts, string error, DateTimeOffset nextAttempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "webhook {Delivery} ({EventType}): {Outcome}; it is not tried again (claude-hooks forge deliveries --dead lists it)")]
    private partial void LogDead(string delivery, string eventType, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook dispatch: the database could not be read or written ({Error}); trying again in 5s")]
    private partial void LogStoreFailed(string error);
}
