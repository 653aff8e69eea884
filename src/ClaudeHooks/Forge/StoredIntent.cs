namespace ClaudeHooks.Forge;

/// <summary>A recorded forge write and how far it got: <see cref="Attempts"/> &gt; 0 means a request may have reached the forge.</summary>
internal sealed record StoredIntent(
    long Id,
    string Key,
    string? TaskId,
    string Repo,
    string Agent,
    string Kind,
    string Payload,
    string State,
    int Attempts,
    DateTimeOffset? NotBefore,
    string? Result,
    string? LastError)
{
    public const string Pending = "pending";
    public const string Done = "done";
    public const string Failed = "failed";
}
