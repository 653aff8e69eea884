namespace ClaudeHooks.Dashboard;

/// <summary>
/// One forge task as stored, with what its chain needs: the issue or pull request it served (<paramref name="Number"/>),
/// the pull request an implement task opened, the review verdict, the outcome's figures and reason, the webhook
/// delivery that queued it, and when its pull request was opened (the open-pull write's completion).
/// </summary>
internal sealed record WorkTaskRow(
    string TaskId,
    string Repo,
    string Kind,
    long Number,
    long? PullNumber,
    string? HeadSha,
    string? Verdict,
    string Agent,
    string State,
    string Thread,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    decimal? CostUsd,
    long? DurationMs,
    string? Reason,
    string? DeliveryId,
    DateTimeOffset? PullOpenedAt);
