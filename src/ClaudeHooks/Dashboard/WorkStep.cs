namespace ClaudeHooks.Dashboard;

/// <summary>
/// One step of a work item's chain: the issue or pull request itself (no task), or a task that served it.
/// <paramref name="Step"/> is <c>issue</c>, <c>pull</c>, or the task's kind (<c>implement</c>, <c>review</c>,
/// <c>fix</c>, <c>merge</c>, <c>mention</c>). <paramref name="ForgeUrl"/> is built from the configured forge only.
/// </summary>
public sealed record WorkStep(
    string Step,
    string Title,
    DateTimeOffset At,
    string? TaskId,
    string? Agent,
    string? State,
    decimal? CostUsd,
    long? DurationMs,
    string? Verdict,
    string? ForgeUrl,
    string? DeliveryId,
    string? Reason,
    string? HeadSha)
{
    /// <summary>A review's verdict as a reader says it, or null when there is none.</summary>
    public string? VerdictText => Verdict switch
    {
        null or "" => null,
        "APPROVED" => "approved",
        "REQUEST_CHANGES" => "changes requested",
        "COMMENT" => "commented",
        _ => Verdict.ToLowerInvariant(),
    };

    /// <summary>The CSS class of the verdict's badge.</summary>
    public string VerdictClass => Verdict switch
    {
        "APPROVED" => "verdict ok",
        "REQUEST_CHANGES" => "verdict bad",
        _ => "verdict",
    };

    public string? ShortSha => HeadSha is { Length: > 0 } sha ? sha[..Math.Min(8, sha.Length)] : null;
}
