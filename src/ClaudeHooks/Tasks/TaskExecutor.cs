using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Workdir;
using Docker.DotNet;

namespace ClaudeHooks.Tasks;

/// <summary>
/// Runs one claimed task to its end, for the service's workers and for <c>claude-hooks run</c> alike: renews the
/// lease by heartbeat (and watches for a cancel request stored by another process), hands the task to the
/// performer of its kind, turns whatever that throws into a failed result with a readable reason, redacts the
/// outcome, and gives it to the state machine, which alone decides the task's next state.
/// </summary>
internal sealed partial class TaskExecutor(
    TaskStateMachine machine,
    ITaskStore store,
    TaskEventBus events,
    TaskSignals signals,
    IEnumerable<ITaskPerformer> performers,
    AgentsConfig config,
    ILogger<TaskExecutor> logger)
{
    private readonly Dictionary<string, ITaskPerformer> _performers = performers.ToDictionary(p => p.Kind, StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="task"/> (claimed by <paramref name="owner"/>); <paramref name="drainExpired"/> cuts it short
    /// for a service stop. Without <paramref name="retries"/> (a one-off run, with no service to run it again) a
    /// transient failure ends the task.
    /// </summary>
    public async Task<RunOutcome> ExecuteAsync(TaskRecord task, string owner, CancellationToken drainExpired, bool retries = true)
    {
        using var cancel = new CancellationTokenSource();
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token, drainExpired);
        using var heartbeatStop = new CancellationTokenSource();
        signals.Register(task.Id, cancel);
        var lostLease = false;
        var heartbeat = HeartbeatAsync(task, owner, cancel, () => lostLease = true, heartbeatStop.Token);
        var started = DateTimeOffset.UtcNow;
        RunOutcome outcome;
        try
        {
            outcome = _performers.TryGetValue(task.Performer, out var performer)
                ? await performer.PerformAsync(task, run.Token)
                : Failed($"no performer for tasks of kind \"{task.Performer}\" in this build", started);
        }
        catch (Exception e) when (e is OperationCanceledException && run.IsCancellationRequested)
        {
            outcome = new RunOutcome(cancel.IsCancellationRequested ? RunStatus.Cancelled : RunStatus.Failed, cancel.IsCancellationRequested ? "cancelled while running" : "stopped by the service's shutdown",
                null, false, 0, null, Elapsed(started), null, null, null, null, null, null, 0);
        }
        catch (Exception e) when (e is WorkdirException or HeadMovedException or InvalidRepositoryException or CredentialException or ConfigException or Gateway.GatewayException)
        {
            outcome = Failed(e.Message, started);
        }
        catch (Exception e) when (e is DockerApiException or SandboxException or ContainerOperationException or HttpRequestException)
        {
            // The engine was briefly unavailable or busy: the same task may well succeed on its next attempt.
            outcome = Failed(e is DockerApiException api ? $"the Docker engine refused a request ({(int)api.StatusCode}): {(api.ResponseBody ?? "").Trim()}" : e.Message, started) with { Transient = true };
        }
        catch (Forge.ForgeApiException e)
        {
            outcome = Failed(e.Message, started) with { Transient = e.Status is null || (int)e.Status >= 500 };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            outcome = Failed($"internal error: {e.Message}", started);
            LogError(task.Id, e.ToString());
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await heartbeat;
            signals.Unregister(task.Id);
        }

        // A run stopped for its budget may end on its own first, failing on the gateway's refusal: the stop is still why.
        if (signals.TakeCancelReason(task.Id) is { } why && outcome.Status != RunStatus.Succeeded)
        {
            outcome = outcome with { Status = RunStatus.Cancelled, Reason = why, Transient = false };
        }

        var interrupted = drainExpired.IsCancellationRequested && !cancel.IsCancellationRequested && outcome.Status != RunStatus.Succeeded;
        if (lostLease)
        {
            outcome = outcome with { Reason = outcome.Reason + " (the lease was lost while running)" };
        }

        // The outcome is written out through the API and the forge: no credential in it, and it says what the bus did.
        outcome = outcome.Redact(text => events.Redact(task.Id, "outcome", text));
        var output = await events.FinishAsync(task.Id, CancellationToken.None);
        outcome = outcome with { SecretsRedacted = output.SecretsRedacted, EventsTruncated = output.EventsTruncated };
        var recorded = interrupted
            ? await machine.InterruptAsync(task, owner, $"service stopping: the {Duration.Format(config.Service.DrainTimeout)} drain budget ran out; queued again at the next start", outcome, CancellationToken.None)
            : await machine.FinishAsync(task, owner, retries ? outcome : outcome with { Transient = false }, CancellationToken.None);
        if (!recorded)
        {
            LogNotLeaseHolder(task.Id);
        }

        events.Complete(task.Id);
        return outcome;
    }

    private static RunOutcome Failed(string reason, DateTimeOffset started) =>
        new(RunStatus.Failed, reason, null, false, 0, null, Elapsed(started), null, null, null, null, null, null, 0);

    private static long Elapsed(DateTimeOffset started) => (long)(DateTimeOffset.UtcNow - started).TotalMilliseconds;

    /// <summary>Renews the lease and watches for a cancel request stored by another process.</summary>
    private async Task HeartbeatAsync(TaskRecord task, string owner, CancellationTokenSource cancel, Action leaseLost, CancellationToken stop)
    {
        var interval = config.Service.Lease / 3;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop);
                if (!await store.RenewLeaseAsync(task.Id, owner, config.Service.Lease, CancellationToken.None))
                {
                    leaseLost();
                    await cancel.CancelAsync();
                    return;
                }

                if ((await store.GetTaskAsync(task.Id, CancellationToken.None))?.CancelRequested == true)
                {
                    await cancel.CancelAsync();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogError($"heartbeat {task.Id}", e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: this worker no longer holds its lease; its result was not recorded")]
    private partial void LogNotLeaseHolder(string taskId);

    [LoggerMessage(Level = LogLevel.Error, Message = "task {Where}: {Error}")]
    private partial void LogError(string where, string error);
}
