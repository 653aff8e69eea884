namespace ClaudeHooks.Config;

/// <summary>
/// How a stop of <c>claude-hooks serve</c> fits inside systemd's. The unit's <c>TimeoutStopSec</c> is cut into the
/// drain (<c>service.drain_timeout</c>), the stop of the tasks the drain did not see finish, the stop of the other
/// services and a margin; a drain that leaves less than that is refused when the config loads, so systemd's SIGKILL
/// never lands on a stop that is still handing tasks back.
/// </summary>
internal static class ShutdownBudget
{
    /// <summary><c>TimeoutStopSec</c> of deploy/systemd/claude-hooks.service; a test keeps the two equal.</summary>
    public static readonly TimeSpan TimeoutStopSec = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Tasks still running when the drain ends: each is stopped (stdin closed, SIGTERM, SIGKILL, 5 s apart), its
    /// transcript and commits are read back and pushed (at most 60 s), and its sandbox is removed and its end recorded.
    /// </summary>
    public static readonly TimeSpan CancelRunning = TimeSpan.FromSeconds(85);

    /// <summary>The listener, the gateway, the forge dispatcher and the egress log's last batch; warm sandboxes removed.</summary>
    public static readonly TimeSpan StopServices = TimeSpan.FromSeconds(10);

    /// <summary>Kept unused below <c>TimeoutStopSec</c>, for the runtime's exit and a loaded host.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);

    /// <summary>The longest <c>service.drain_timeout</c> that leaves every later stage its time.</summary>
    public static TimeSpan MaxDrainTimeout => TimeoutStopSec - CancelRunning - StopServices - Margin;

    /// <summary>The host's <c>ShutdownTimeout</c>: the drain and the stages after it, without the margin.</summary>
    public static TimeSpan HostShutdownTimeout(TimeSpan drainTimeout) => drainTimeout + CancelRunning + StopServices;

    /// <summary>Why a drain timeout is refused, and the largest one that is not.</summary>
    public static string TooLong(TimeSpan drainTimeout, TimeSpan defaultDrainTimeout) =>
        $"{Duration.Format(drainTimeout)} does not fit the systemd unit's TimeoutStopSec={TimeoutStopSec.TotalSeconds:0}: after the drain, "
        + $"stopping the tasks still running and saving their work takes up to {Duration.Format(CancelRunning)}, stopping the service "
        + $"{Duration.Format(StopServices)}, and {Duration.Format(Margin)} is kept as a margin; use at most {Duration.Format(MaxDrainTimeout)} "
        + $"(default {Duration.Format(defaultDrainTimeout)})";
}
