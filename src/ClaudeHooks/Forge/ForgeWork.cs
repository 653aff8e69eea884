namespace ClaudeHooks.Forge;

/// <summary>What a forge event (or the service's own hand-off, or the backstop) asks of an agent.</summary>
internal sealed record ForgeWork(
    string Kind,
    string Agent,
    string Repo,
    long Number,
    string Thread,
    string? BaseRef,
    string? HeadSha,
    string SemanticKey,
    string? Sender,
    string? Request)
{
    public const string Implement = "implement";
    public const string Review = "review";
    public const string Fix = "fix";
    public const string Merge = "merge";
    public const string Mention = "mention";
}

/// <summary>The router's answer: work to queue (once the sender is found to be allowed to ask for it), or why nothing happens.</summary>
internal sealed record RouteResult(ForgeWork? Work, string Outcome);
