using ClaudeHooks.Config;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Agents;

/// <summary>
/// Trips a run's wall-clock and idle limits and its cancellation, then stops it in steps: stdin is already closed,
/// so first the grace period, then SIGTERM to every process of the task, then SIGKILL to all of them. What "every
/// process of the task" is depends on where it runs, so the caller signals them.
/// </summary>
internal static class RunWatchdog
{
    /// <summary>
    /// Returns when <paramref name="finished"/> is cancelled (the run ended by itself) or, after a limit tripped,
    /// once <paramref name="ended"/> (the run's output ending) completes or the last step has been taken;
    /// <paramref name="signal"/> sends "TERM" or "KILL" to every process of the task.
    /// </summary>
    public static async Task WatchAsync(
        TaskEventBus events, TaskRecord task, AgentConfig agent, RunState state, Task ended, Func<string, Task> signal, TimeSpan grace, CancellationToken cancelled, CancellationToken finished)
    {
        var settings = agent.Runner;
        var timeout = RunJudge.WallClockLimit(task, agent);
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(settings.IdleTimeout.TotalMilliseconds / 20, 50, 1000));
        while (!finished.IsCancellationRequested)
        {
            if (cancelled.IsCancellationRequested)
            {
                state.RequestStop(StopReason.Cancelled);
            }
            else if (state.Elapsed > timeout)
            {
                state.RequestStop(StopReason.WallClock);
            }
            else if (state.SinceOutput > settings.IdleTimeout)
            {
                state.RequestStop(StopReason.Idle);
            }

            if (state.Stop is not StopReason.None)
            {
                break;
            }

            try
            {
                await Task.Delay(tick, finished);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (finished.IsCancellationRequested)
        {
            return;
        }

        await RunOutput.PublishAsync(events, task.Id, "runner/stopping", new { reason = state.Stop.ToString() });
        foreach (var name in new[] { (string?)null, "TERM", "KILL" })
        {
            if (name is not null)
            {
                await signal(name);
            }

            if (await Task.WhenAny(ended, Task.Delay(grace, CancellationToken.None)) == ended)
            {
                return;
            }
        }
    }
}
