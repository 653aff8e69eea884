using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Tasks;

/// <summary>
/// Claims queued tasks per agent (FIFO, up to <c>max_concurrent_tasks</c> at once) under leases renewed by
/// heartbeat, runs each in a sandbox of its own, and records the outcome; only the lease holder can. At start-up
/// it removes every sandbox no live task holds and recovers what a dead or stopped service left behind, and it
/// keeps the warm sandboxes ready. On shutdown it stops claiming, gives running tasks the drain budget, then
/// cancels them and marks them interrupted so the next start queues them again.
/// </summary>
internal sealed partial class TaskWorker(
    ITaskStore store,
    TaskStateMachine machine,
    TaskExecutor executor,
    TaskSignals signals,
    AgentsConfig config,
    ContainerRuntime runtime,
    SandboxManager sandboxes,
    TimeProvider clock,
    ILogger<TaskWorker> logger,
    BudgetGuard budgets) : IHostedLifecycleService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stopClaiming = new();
    private readonly CancellationTokenSource _drainExpired = new();
    private readonly List<Task> _loops = [];
    private readonly HashSet<Task> _running = [];

    /// <summary>Identifies this process as a lease holder.</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    public bool Draining => _stopClaiming.IsCancellationRequested;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RecoverAsync(cancellationToken);
        await budgets.ReleaseHoldsAsync(cancellationToken);
        _loops.Add(Task.Run(() => MaintainSandboxesAsync(_stopClaiming.Token), CancellationToken.None));
        foreach (var agent in config.Agents)
        {
            for (var slot = 0; slot < agent.MaxConcurrentTasks; slot++)
            {
                _loops.Add(Task.Run(() => ClaimLoopAsync(agent), CancellationToken.None));
            }
        }

        _loops.Add(Task.Run(RecoveryLoopAsync, CancellationToken.None));
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The drain runs here, before any service's StopAsync, so the HTTP listener keeps accepting and persisting
    /// requests until the drain is over.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        LogDraining(config.Service.DrainTimeout.TotalSeconds);
        await _stopClaiming.CancelAsync();
        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(config.Service.DrainTimeout, CancellationToken.None)) != all)
        {
            LogDrainExpired(running.Count(t => !t.IsCompleted));
            await _drainExpired.CancelAsync();
            await all;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopClaiming.CancelAsync();
        await Task.WhenAll(_loops);
        await sandboxes.DisposeAsync();
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Requeues (or fails, past the attempt bound) tasks whose lease expired and tasks a drain interrupted, after
    /// removing their sandboxes; then removes every sandbox that no live task holds.
    /// </summary>
    internal async Task RecoverAsync(CancellationToken cancellationToken)
    {
        foreach (var task in await store.FindAbandonedAsync(clock.GetUtcNow(), cancellationToken))
        {
            var why = task.State == TaskState.Interrupted ? "interrupted by a service stop" : $"lease held by {task.LeaseOwner ?? "nobody"} expired (the service died mid-task)";
            if (task.State == TaskState.Running)
            {
                // A process started with docker exec outlives its client; its sandbox goes, and everything in it, before the task runs again.
                var removed = await runtime.RemoveAsync(ResourceNames.Sandbox(config.ContainerPrefix, task.Agent, ResourceNames.TaskKey(task.Id)), cancellationToken);
                why += removed ? "; its sandbox was removed with every process in it" : "; it had no sandbox left";
            }

            var to = await machine.RecoverAsync(task, why, cancellationToken);
            if (to is { } state)
            {
                LogRecovered(task.Id, state.ToName(), why);
                if (state == TaskState.Queued)
                {
                    signals.Wake(task.Agent);
                }
            }
        }

        await ReapAsync(cancellationToken);
    }

    /// <summary>Removes sandboxes no live task holds (a crash's leftovers, a task's that ended without its cleanup).</summary>
    private async Task ReapAsync(CancellationToken cancellationToken) =>
        await sandboxes.ReapAsync(async token =>
        {
            var now = clock.GetUtcNow();
            var running = await store.ListTasksAsync(new TaskQuery(TaskState.Running, null, null, 10_000, null), token);
            return running.Where(t => t.LeaseExpiresAt > now).Select(t => ResourceNames.TaskKey(t.Id)).ToHashSet(StringComparer.Ordinal);
        }, cancellationToken);

    private async Task MaintainSandboxesAsync(CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(Math.Clamp(config.Service.Lease.TotalSeconds / 2, 1, 30));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await sandboxes.MaintainAsync(stop);
                await Task.Delay(interval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogLoopError("warm sandboxes", e.Message);
                await Task.Delay(interval, CancellationToken.None);
            }
        }
    }

    private async Task RecoveryLoopAsync()
    {
        var interval = config.Service.Lease / 2;
        while (!_stopClaiming.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _stopClaiming.Token);
                await RecoverAsync(_stopClaiming.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogLoopError("recovery", e.Message);
            }
        }
    }

    private async Task ClaimLoopAsync(AgentConfig agent)
    {
        while (!_stopClaiming.IsCancellationRequested)
        {
            try
            {
                var task = await machine.ClaimAsync(agent.Name, Owner, config.Service.Lease, CancellationToken.None, budgets.AdmitAsync);
                if (task is null)
                {
                    await signals.WaitAsync(agent.Name, IdlePoll, _stopClaiming.Token);
                    continue;
                }

                var execution = executor.ExecuteAsync(task, Owner, _drainExpired.Token);
                lock (_running)
                {
                    _running.Add(execution);
                }

                await execution;
                budgets.Forget(task.Id);
                lock (_running)
                {
                    _running.Remove(execution);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogLoopError(agent.Name, e.Message);
                await Task.Delay(IdlePoll, CancellationToken.None);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "draining: no new tasks are claimed; running tasks have {Seconds} s")]
    private partial void LogDraining(double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "drain budget ran out with {Count} task(s) still running; cancelling them")]
    private partial void LogDrainExpired(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId} recovered: {State} ({Why})")]
    private partial void LogRecovered(string taskId, string state, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: this worker no longer holds its lease; its result was not recorded")]
    private partial void LogNotLeaseHolder(string taskId);

    [LoggerMessage(Level = LogLevel.Error, Message = "worker {Where}: {Error}")]
    private partial void LogLoopError(string where, string error);
}
