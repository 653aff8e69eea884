using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Tasks;

/// <summary>
/// Keeps spend within <c>budgets</c>: a queued task whose agent or repository has reached its daily cap is held (told
/// once, with the cap, the spend and when it frees), a task whose pull request already had its loop breaker's count of
/// tasks within the window is cancelled, and a running task whose agent or repository crosses its cap is cancelled
/// through the usual cancel path, its further model requests refused by the gateway.
/// </summary>
internal sealed partial class BudgetGuard(
    BudgetLedger ledger,
    AgentsConfig config,
    ITaskStore store,
    TaskStateMachine machine,
    TaskSignals signals,
    TaskEventBus events,
    TimeProvider clock,
    ILogger<BudgetGuard> logger)
{
    public const string HeldEvent = "budget/held";
    public const string StoppedEvent = "budget/stopped";
    public const string LoopBrokenEvent = "budget/loop-breaker";

    private readonly ConcurrentDictionary<string, string> _stopped = new(StringComparer.Ordinal);

    private BudgetSettings Budgets => config.Budgets;

    public string RepositoryKey(string repository)
    {
        try
        {
            return RepositoryUrl.Parse(repository, allowLocal: true).Key;
        }
        catch (InvalidRepositoryException)
        {
            return repository;
        }
    }

    /// <summary>"$5.02": what people read; spend is never rounded down to look under a cap.</summary>
    public static string Usd(decimal usd) => "$" + (Math.Ceiling(usd * 100) / 100).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The words for a cap that <paramref name="spent"/> has reached, or null while it is under it.</summary>
    public static string? Reached(string subject, decimal spent, BudgetCap? cap) =>
        cap is { } c && spent >= c.Usd ? $"{subject} spent {Usd(spent)} of its {Usd(c.Usd)} daily cap ({c.ConfigKey})" : null;

    /// <summary>The first cap (agent, then repository) that today's spend has reached, or null.</summary>
    public async Task<(string Key, string Words)?> ReachedAsync(string agent, string repositoryKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var day = BudgetLedger.Day(now);
        if (Budgets.AgentCap(agent) is { } agentCap
            && Reached($"agent {agent}", await ledger.AgentSpentAsync(agent, day, cancellationToken), agentCap) is { } agentWords)
        {
            return (agentCap.ConfigKey, agentWords);
        }

        if (Budgets.RepositoryCap(repositoryKey) is { } repositoryCap
            && Reached($"repository {repositoryKey}", await ledger.RepositorySpentAsync(repositoryKey, day, cancellationToken), repositoryCap) is { } repositoryWords)
        {
            return (repositoryCap.ConfigKey, repositoryWords);
        }

        return null;
    }

    /// <summary>
    /// Whether a queued task may be claimed now. A task held by a cap stays queued (told once per cap and day); one its
    /// loop breaker stops is cancelled: a loop does not end by waiting, and a person can queue the work again.
    /// </summary>
    public async Task<bool> AdmitAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        if (task.Performer != TaskPerformers.Agent)
        {
            // The lead's merge asks no model: it costs nothing and finishes what was already paid for.
            return true;
        }

        var now = clock.GetUtcNow();
        if (Budgets.LoopBreaker is { } breaker && await ledger.PullRequestOfAsync(task, cancellationToken) is { } pull)
        {
            var count = await ledger.PullRequestTasksAsync(task.Id, pull, now - breaker.Window, cancellationToken);
            if (count >= breaker.MaxTasksPerPullRequest)
            {
                var reason = $"loop breaker: pull request {pull.Name} already had {count} task(s) in the last {Duration.Format(breaker.Window)} "
                    + $"({BudgetSettings.LoopBreakerKey}.max_tasks_per_pull_request = {breaker.MaxTasksPerPullRequest}); cancelled without running, so agents triggering each other stop spending; "
                    + "queue it again once the loop is understood, or raise the limit";
                await PublishAsync(task.Id, LoopBrokenEvent, new { pull_request = pull.Name, tasks = count, window = Duration.Format(breaker.Window), config_key = $"{BudgetSettings.LoopBreakerKey}.max_tasks_per_pull_request", reason });
                await machine.CancelAsync(task.Id, reason, cancellationToken);
                events.Complete(task.Id);
                LogLoopBroken(task.Id, pull.Name, count);
                return false;
            }
        }

        if (await ReachedAsync(task.Agent, RepositoryKey(task.Repo), now, cancellationToken) is { } reached)
        {
            var until = BudgetLedger.NextDay(now);
            var hold = new BudgetHold(reached.Key, $"{reached.Words}; waits until 00:00 UTC ({until:yyyy-MM-dd})", until);
            if (await ledger.HoldAsync(task.Id, hold, cancellationToken))
            {
                await store.AddHistoryNoteAsync(task.Id, $"held: {hold.Reason}", cancellationToken);
                await PublishAsync(task.Id, HeldEvent, new { config_key = hold.ConfigKey, reason = hold.Reason, until = hold.Until });
                LogHeld(task.Id, hold.Reason);
            }

            return false;
        }

        await ledger.ClearHoldAsync(task.Id, cancellationToken);
        return true;
    }

    /// <summary>Why the gateway refuses a running task's model request (a cap it reached), or null; the first refusal stops the task.</summary>
    public async Task<string?> RefusalAsync(string taskId, string agent, string repository, CancellationToken cancellationToken)
    {
        if (_stopped.TryGetValue(taskId, out var stopped))
        {
            return stopped;
        }

        if (await ReachedAsync(agent, RepositoryKey(repository), clock.GetUtcNow(), cancellationToken) is not { } reached)
        {
            return null;
        }

        await StopAsync(taskId, reached.Key, reached.Words);
        return _stopped.GetValueOrDefault(taskId);
    }

    /// <summary>Counts one model response of a running task; when that brings a cap to its limit, the task is stopped.</summary>
    public async Task MeterAsync(string taskId, string agent, string repository, BudgetUsage usage, CancellationToken cancellationToken)
    {
        if (usage.IsEmpty)
        {
            return;
        }

        var repositoryKey = RepositoryKey(repository);
        var now = clock.GetUtcNow();
        await ledger.RecordAsync(taskId, agent, repositoryKey, now, usage, BudgetPrices.Cost(usage), cancellationToken);
        if (await ReachedAsync(agent, repositoryKey, now, cancellationToken) is { } reached)
        {
            await StopAsync(taskId, reached.Key, reached.Words);
        }
    }

    private async Task StopAsync(string taskId, string key, string words)
    {
        var reason = $"stopped: {words}; its model requests are refused until 00:00 UTC";
        if (!_stopped.TryAdd(taskId, reason))
        {
            return;
        }

        LogStopped(taskId, words);
        await PublishAsync(taskId, StoppedEvent, new { config_key = key, reason });
        signals.SetCancelReason(taskId, reason);
        await machine.CancelAsync(taskId, reason, CancellationToken.None);
        signals.Cancel(taskId);
    }

    /// <summary>Lets every held task be checked again at start-up: the caps may have changed with the config.</summary>
    public Task ReleaseHoldsAsync(CancellationToken cancellationToken) => ledger.ReleaseHoldsAsync(cancellationToken);

    /// <summary>Forgets a task that ended (its refusals are kept only while it might still send requests).</summary>
    public void Forget(string taskId) => _stopped.TryRemove(taskId, out _);

    private async Task PublishAsync(string taskId, string type, object data)
    {
        try
        {
            await events.PublishAsync(taskId, type, JsonSerializer.Serialize(data, OutcomeJson.Options), CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            LogEventFailed(taskId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId} held: {Reason}")]
    private partial void LogHeld(string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId} stopped: {Reason}")]
    private partial void LogStopped(string taskId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId} cancelled by the loop breaker: pull request {PullRequest} already had {Count} task(s) in the window")]
    private partial void LogLoopBroken(string taskId, string pullRequest, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: a budget event was not stored: {Error}")]
    private partial void LogEventFailed(string taskId, string error);
}
