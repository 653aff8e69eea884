using ClaudeHooks.Tasks;

namespace ClaudeHooks.Hosting;

/// <summary>
/// New tasks are written straight to the store by the API, the dashboard and the forge; this hands each one to the
/// state machine's log line and counter. A hosted service registered before the listener and the workers, so no task
/// is created before it listens.
/// </summary>
internal sealed class TaskCreationHookup(SqliteTaskStore store, TaskStateMachine machine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        store.Created += machine.Created;
        return Task.CompletedTask;
    }

    // Kept to the end: the API still takes tasks while the service drains.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
