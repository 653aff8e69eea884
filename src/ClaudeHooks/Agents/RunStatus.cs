namespace ClaudeHooks.Agents;

/// <summary>How a performer's work ended. The task's state follows from it, decided by the state machine alone.</summary>
internal enum RunStatus
{
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,

    /// <summary>Stopped by something outside the task (its agent's container was rebuilt): it runs again.</summary>
    Interrupted,
}
