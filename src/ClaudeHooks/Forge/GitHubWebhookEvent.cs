using System.Text.Json;

namespace ClaudeHooks.Forge;

/// <summary>
/// A GitHub webhook payload read as the Forgejo flow reads its own: GitHub's event and action (<c>X-GitHub-Event</c>
/// plus the payload's <c>action</c>) become Forgejo's fine event type, so one router decides for both forges. The
/// payloads share their shape (<c>repository.full_name</c>, <c>sender.login</c>, <c>issue</c>,
/// <c>pull_request.head</c>, <c>requested_reviewer</c>, <c>comment</c>); what differs is the event naming and a review's
/// verdict, which GitHub gives as <c>review.state</c> and its text as <c>review.body</c>.
/// </summary>
internal static class GitHubWebhookEvent
{
    /// <summary>The events the flows use; any other is recorded with no flow.</summary>
    public static readonly IReadOnlyList<string> Subscribed = ["issues", "issue_comment", "pull_request", "pull_request_review"];

    public static string? EventFrom(IHeaderDictionary headers) => Header(headers, "X-GitHub-Event");

    public static string? DeliveryFrom(IHeaderDictionary headers) => Header(headers, "X-GitHub-Delivery");

    public static WebhookEvent Parse(string gitHubEvent, JsonElement root)
    {
        var e = WebhookEvent.Parse(gitHubEvent, root);
        var review = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("review", out var r) && r.ValueKind == JsonValueKind.Object ? r : (JsonElement?)null;
        var state = review is { } s && s.TryGetProperty("state", out var st) && st.ValueKind == JsonValueKind.String ? st.GetString()!.ToLowerInvariant() : null;
        var (fine, action) = (gitHubEvent, e.Action) switch
        {
            ("issues", "assigned" or "unassigned") => ("issue_assign", e.Action),
            ("issues", _) => ("issues", e.Action),
            ("issue_comment", _) => (e.IsPull ? "pull_request_comment" : "issue_comment", e.Action),
            ("pull_request", "assigned" or "unassigned") => ("pull_request_assign", e.Action),
            ("pull_request", "review_requested" or "review_request_removed") => ("pull_request_review_request", e.Action),
            ("pull_request", "synchronize") => ("pull_request_sync", "synchronized"),
            ("pull_request", _) => ("pull_request", e.Action),
            ("pull_request_review", "submitted") => (state switch
            {
                "approved" => "pull_request_review_approved",
                "changes_requested" => "pull_request_review_rejected",
                _ => "pull_request_review_comment",
            }, "reviewed"),
            ("pull_request_review", _) => ("pull_request_review", e.Action),
            // Every other event keeps a name of GitHub's own, which no Forgejo route answers to (X-GitHub-Event is not signed).
            _ => ("github:" + gitHubEvent, e.Action),
        };

        return e with
        {
            EventType = fine,
            Action = action,
            IsPull = e.IsPull || gitHubEvent is "pull_request" or "pull_request_review",
            ReviewType = state ?? e.ReviewType,
            ReviewContent = review is { } b && b.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.String ? body.GetString() : e.ReviewContent,
        };
    }

    private static string? Header(IHeaderDictionary headers, string name) => headers[name].ToString() is { Length: > 0 } value ? value : null;
}
