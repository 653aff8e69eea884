namespace ClaudeHooks.Forge;

/// <summary>
/// A delivery as <c>claude-hooks forge deliveries</c> shows it: no outcome while pending (then <paramref name="NextAttemptAt"/>
/// says when it is tried again after a failure), and <paramref name="DeadAt"/> once it was given up.
/// </summary>
internal sealed record DeliveryRecord(
    string DeliveryId,
    string EventType,
    string? Action,
    string Repo,
    DateTimeOffset ReceivedAt,
    int Attempts,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    string? Outcome,
    string? TaskId,
    DateTimeOffset? DeadAt);
