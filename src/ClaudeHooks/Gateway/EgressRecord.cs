namespace ClaudeHooks.Gateway;

/// <summary>
/// One request a sandbox sent out through the gateway and what became of it. <see cref="Id"/> is 0 until the
/// record is stored. <see cref="BytesOut"/> went from the sandbox toward <see cref="Host"/>, <see cref="BytesIn"/>
/// came back into the sandbox. <see cref="Path"/> never holds a query string.
/// </summary>
internal sealed record EgressRecord(
    long Id,
    DateTimeOffset Time,
    string? TaskId,
    string Agent,
    string Route,
    string Host,
    string Method,
    string Path,
    int Status,
    long BytesIn,
    long BytesOut,
    long DurationMs,
    string Decision,
    string Rule)
{
    public const string Allowed = "allowed";
    public const string Denied = "denied";

    public const string ModelRoute = "model";
    public const string GitRoute = "git";
    public const string ConnectRoute = "connect";
    public const string HttpRoute = "http";
}
