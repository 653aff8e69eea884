namespace ClaudeHooks.Agents;

/// <summary>Why the service stopped a run before the CLI ended on its own; the first reason given wins.</summary>
internal enum StopReason
{
    None,
    Cancelled,
    WallClock,
    Idle,
    Authentication,
}
