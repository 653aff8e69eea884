using System.Collections.Concurrent;

namespace ClaudeHooks.Tasks;

/// <summary>In-process nudges between the API and the workers: "work is queued for this agent" and "cancel this task".</summary>
internal sealed class TaskSignals
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _wake = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _reasons = new(StringComparer.Ordinal);

    public void Wake(string agent) => Gate(agent).Release();

    /// <summary>Waits until woken or until <paramref name="timeout"/>; the store stays the source of truth.</summary>
    public async Task WaitAsync(string agent, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Gate(agent).WaitAsync(timeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Register(string taskId, CancellationTokenSource cancellation) => _running[taskId] = cancellation;

    public void Unregister(string taskId) => _running.TryRemove(taskId, out _);

    public bool Cancel(string taskId)
    {
        if (!_running.TryGetValue(taskId, out var cancellation))
        {
            return false;
        }

        cancellation.Cancel();
        return true;
    }

    /// <summary>Why a running task is being cancelled, when the service itself cancels it (a budget cap): its outcome says so.</summary>
    public void SetCancelReason(string taskId, string reason) => _reasons[taskId] = reason;

    public string? TakeCancelReason(string taskId) => _reasons.TryRemove(taskId, out var reason) ? reason : null;

    private SemaphoreSlim Gate(string agent) => _wake.GetOrAdd(agent, _ => new SemaphoreSlim(0, int.MaxValue));
}
