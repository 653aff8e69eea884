using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;

namespace ClaudeHooks.Tasks;

/// <summary>
/// The one place a task's state changes. Every move is checked against <see cref="TaskTransitions"/>, applied only
/// from the state the caller saw (and by the lease holder, when the task runs), written with a history row and its
/// reason, and recorded together with the forge writes the move causes (<see cref="ITaskReactions"/>). It also
/// decides how a performer's result ends a task: done, retried after a backoff (attempt N of M), or given up.
/// </summary>
internal sealed partial class TaskStateMachine(ITaskStore store, ITaskReactions reactions, AgentsConfig config, TimeProvider clock, ILogger<TaskStateMachine> logger, Hosting.ServiceMetrics? metrics = null)
{
    private int MaxAttempts => config.Service.MaxAttempts;

    public async Task CreateAsync(TaskRecord task, string reason, CancellationToken cancellationToken)
    {
        if (!TaskTransitions.Initial.Contains(task.State))
        {
            throw new IllegalTransitionException(TaskState.Queued, task.State);
        }

        await store.CreateTaskAsync(task, reason, cancellationToken);
    }

    /// <summary>Claims the agent's oldest claimable task for <paramref name="owner"/> under a lease, counting the attempt.</summary>
    public async Task<TaskRecord?> ClaimAsync(string agent, string owner, TimeSpan lease, CancellationToken cancellationToken, Func<TaskRecord, CancellationToken, Task<bool>>? admit = null)
    {
        // Another worker may take the same task first; then the next one is tried.
        for (var round = 0; round < 5; round++)
        {
            if (await store.NextClaimableAsync(agent, clock.GetUtcNow(), cancellationToken) is not { } task)
            {
                return null;
            }

            // A task the admission keeps back (a budget holds it, or ends it) is passed over; it no longer comes first.
            if (admit is not null && !await admit(task, cancellationToken))
            {
                continue;
            }

            var claimed = task with { State = TaskState.Running, Attempt = task.Attempt + 1, LeaseOwner = owner };
            var expires = clock.GetUtcNow() + lease;
            if (await MoveAsync(task, TaskState.Running, $"claimed by {owner} (attempt {claimed.Attempt} of {MaxAttempts})", null, cancellationToken,
                    t => t with { Lease = (owner, expires) }, reactOn: claimed))
            {
                return claimed with { LeaseExpiresAt = expires };
            }
        }

        return null;
    }

    /// <summary>
    /// Ends a running task with its performer's <paramref name="outcome"/>: a transient failure with attempts left is
    /// retried after a backoff, an interruption is queued again, anything else ends the task. Only the lease holder
    /// can; false when <paramref name="owner"/> no longer holds it.
    /// </summary>
    public async Task<bool> FinishAsync(TaskRecord task, string owner, RunOutcome outcome, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(outcome, OutcomeJson.Options);
        TaskTransition Held(TaskTransition t) => t with { Holder = owner, OutcomeJson = json };
        switch (outcome.Status)
        {
            case RunStatus.Interrupted:
                return await RetryAsync(task, owner, $"interrupted: {outcome.Reason}", TimeSpan.FromSeconds(5), json, cancellationToken);
            case RunStatus.Failed when outcome.Transient && task.Attempt < MaxAttempts:
                return await RetryAsync(task, owner, $"attempt {task.Attempt} of {MaxAttempts} failed: {outcome.Reason}", RetrySchedule.Delay(task.Attempt), json, cancellationToken);
            default:
                var to = outcome.Status switch
                {
                    RunStatus.Succeeded => TaskState.Succeeded,
                    RunStatus.Cancelled => TaskState.Cancelled,
                    RunStatus.TimedOut => TaskState.TimedOut,
                    _ => TaskState.Failed,
                };
                var reason = outcome.Transient && to == TaskState.Failed ? $"{outcome.Reason}; gave up after {task.Attempt} attempt(s) (service.max_attempts = {MaxAttempts})" : outcome.Reason;
                return await MoveAsync(task, to, reason, outcome, cancellationToken, Held);
        }
    }

    /// <summary>A service stop cut the task short: it is queued again at the next start.</summary>
    public async Task<bool> InterruptAsync(TaskRecord task, string owner, string reason, RunOutcome? outcome, CancellationToken cancellationToken) =>
        await MoveAsync(task, TaskState.Interrupted, reason, outcome, cancellationToken,
            t => t with { Holder = owner, OutcomeJson = outcome is null ? null : JsonSerializer.Serialize(outcome, OutcomeJson.Options) });

    /// <summary>
    /// Work a dead or stopped service left behind (a running task whose lease expired, an interrupted one): queued
    /// again for its next attempt, or failed once it has had <c>service.max_attempts</c>. Null when another process
    /// moved it first.
    /// </summary>
    public async Task<TaskState?> RecoverAsync(TaskRecord task, string why, CancellationToken cancellationToken)
    {
        var exhausted = task.Attempt >= MaxAttempts;
        var to = exhausted ? TaskState.Failed : TaskState.Queued;
        var reason = exhausted
            ? $"{why}; gave up after {task.Attempt} attempt(s) (service.max_attempts = {MaxAttempts})"
            : $"{why}; queued again for attempt {task.Attempt + 1} of {MaxAttempts}";
        var moved = await MoveAsync(task, to, reason, null, cancellationToken, t => t with
        {
            // Only from the holder that was seen, and only while its lease is still expired: a worker that renewed in between keeps its task.
            Holder = task.LeaseOwner,
            LeaseExpiredBy = task.State == TaskState.Running ? clock.GetUtcNow() : null,
        });
        if (moved)
        {
            metrics?.Recovered(task.Agent, task.State, to);
        }

        return moved ? to : null;
    }

    /// <summary>Cancels a queued or interrupted task at once, or flags a running one for its worker; returns the state it was in.</summary>
    public async Task<TaskState?> CancelAsync(string id, string reason, CancellationToken cancellationToken)
    {
        for (var round = 0; round < 5; round++)
        {
            if (await store.GetTaskAsync(id, cancellationToken) is not { } task)
            {
                return null;
            }

            if (task.State == TaskState.Running)
            {
                if (await store.SetCancelRequestedAsync(id, reason, cancellationToken))
                {
                    return task.State;
                }

                continue;
            }

            if (!TaskTransitions.IsAllowed(task.State, TaskState.Cancelled) || await MoveAsync(task, TaskState.Cancelled, reason, null, cancellationToken))
            {
                return task.State;
            }
        }

        return (await store.GetTaskAsync(id, cancellationToken))?.State;
    }

    private async Task<bool> RetryAsync(TaskRecord task, string owner, string why, TimeSpan delay, string json, CancellationToken cancellationToken)
    {
        if (task.Attempt >= MaxAttempts)
        {
            return await MoveAsync(task, TaskState.Failed, $"{why}; gave up after {task.Attempt} attempt(s) (service.max_attempts = {MaxAttempts})", null, cancellationToken,
                t => t with { Holder = owner, OutcomeJson = json });
        }

        var at = clock.GetUtcNow() + delay;
        return await MoveAsync(task, TaskState.Queued, $"{why}; attempt {task.Attempt + 1} of {MaxAttempts} not before {at:HH:mm:ss}Z (in {Duration.Format(delay)})", null, cancellationToken,
            t => t with { Holder = owner, OutcomeJson = json, NotBefore = at });
    }

    private async Task<bool> MoveAsync(TaskRecord task, TaskState to, string reason, RunOutcome? outcome, CancellationToken cancellationToken,
        Func<TaskTransition, TaskTransition>? shape = null, TaskRecord? reactOn = null)
    {
        TaskTransitions.Ensure(task.State, to);
        var intents = await reactions.IntentsForAsync(reactOn ?? task, to, reason, outcome, cancellationToken);
        var transition = new TaskTransition(task.Id, task.State, to, reason) { Intents = intents };
        var shaped = shape is null ? transition : shape(transition);
        var applied = await store.ApplyAsync(shaped, cancellationToken);
        if (!applied)
        {
            LogRefused(task.Id, task.State.ToName(), to.ToName());
        }
        else
        {
            Transitioned(task, to, reason, outcome ?? (shaped.OutcomeJson is { } json ? JsonSerializer.Deserialize<RunOutcome>(json, OutcomeJson.Options) : null));
        }

        return applied;
    }

    /// <summary>
    /// A task the store just committed (the API, the dashboard and the forge write new tasks straight to the store):
    /// logged and counted as its first move.
    /// </summary>
    public void Created(TaskRecord task, string reason)
    {
        metrics?.Transition(task.Agent, task.State);
        LogTransition(task.Id, "new", task.State.ToName(), task.Agent, Repository(task.Repo), reason, null, null);
    }

    /// <summary>The one log line and the metrics of an applied move; a move that records a run's outcome ends that run.</summary>
    private void Transitioned(TaskRecord task, TaskState to, string reason, RunOutcome? run)
    {
        metrics?.Transition(task.Agent, to);
        if (run is not null)
        {
            metrics?.RunEnded(task.Agent, to, run);
        }

        LogTransition(task.Id, task.State.ToName(), to.ToName(), task.Agent, Repository(task.Repo), reason, run?.CostUsd, run is null ? null : run.DurationMs / 1000.0);
    }

    /// <summary>A repository as the log names it: never with the user part of its URL.</summary>
    internal static string Repository(string repo) =>
        Uri.TryCreate(repo, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : repo;

    [LoggerMessage(Level = LogLevel.Information, Message = "task {TaskId} {From} -> {State}: agent {Agent}, repository {Repository}, reason: {Reason}; cost {CostUsd} USD, duration {DurationSeconds} s")]
    private partial void LogTransition(string taskId, string from, string state, string agent, string repository, string reason, decimal? costUsd, double? durationSeconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "task {TaskId}: not moved from {From} to {To}; another process moved it first")]
    private partial void LogRefused(string taskId, string from, string to);
}
