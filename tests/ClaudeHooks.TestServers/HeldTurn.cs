namespace ClaudeHooks.TestServers;

/// <summary>
/// A turn the test lets go: its request is taken and left unanswered (the CLI waits, as on a slow model) until
/// <see cref="Release"/>, then answered as <paramref name="Then"/>. <see cref="Reached"/> completes when the request
/// arrives, so a test can change the world while the agent is mid-task.
/// </summary>
public sealed record HeldTurn(ScriptedTurn Then) : ScriptedTurn
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Reached => _reached.Task;

    public void Release() => _released.TrySetResult();

    internal async Task WaitAsync(CancellationToken cancellationToken)
    {
        _reached.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken);
    }
}
