using System.Text.Json;

namespace ClaudeHooks.Forge;

/// <summary>The fields of a Forgejo/Gitea webhook payload that the flows use, read tolerantly (most are nullable in real payloads).</summary>
internal sealed record WebhookEvent(
    string EventType,
    string? Action,
    string Repo,
    string Sender,
    long? Number,
    bool IsPull,
    string? Title,
    string? Body,
    IReadOnlyList<string> Assignees,
    string? PullAuthor,
    string? HeadRef,
    string? HeadSha,
    string? BaseRef,
    bool Merged,
    string? RequestedReviewer,
    string? ReviewType,
    string? ReviewContent,
    long? CommentId,
    string? CommentBody)
{
    /// <summary>The fine event type: X-Forgejo-Event-Type, then X-Gitea-, then X-Gogs- (never X-GitHub-Event).</summary>
    public static string? EventTypeFrom(IHeaderDictionary headers) => First(headers, "X-Forgejo-Event-Type", "X-Gitea-Event-Type", "X-Gogs-Event-Type");

    public static string? DeliveryFrom(IHeaderDictionary headers) => First(headers, "X-Forgejo-Delivery", "X-Gitea-Delivery", "X-Gogs-Delivery");

    public static WebhookEvent Parse(string eventType, JsonElement root)
    {
        var issue = Object(root, "issue");
        var pull = Object(root, "pull_request");
        var item = pull ?? issue;
        var head = pull is { } p ? Object(p, "head") : null;
        var review = Object(root, "review");
        var comment = Object(root, "comment");
        return new WebhookEvent(
            eventType,
            Text(root, "action"),
            Object(root, "repository") is { } repo ? Text(repo, "full_name") ?? "" : "",
            Object(root, "sender") is { } sender ? Text(sender, "login") ?? "" : "",
            Long(root, "number") ?? (item is { } i ? Long(i, "number") : null),
            pull is not null || (issue is { } iss && Object(iss, "pull_request") is not null) || (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("is_pull", out var isPull) && isPull.ValueKind == JsonValueKind.True),
            item is { } t ? Text(t, "title") : null,
            item is { } b ? Text(b, "body") : null,
            item is { } a && a.TryGetProperty("assignees", out var assignees) && assignees.ValueKind == JsonValueKind.Array
                ? assignees.EnumerateArray().Select(x => Text(x, "login")).OfType<string>().ToList()
                : [],
            pull is { } author && Object(author, "user") is { } user ? Text(user, "login") : null,
            head is { } h1 ? Text(h1, "ref") : null,
            head is { } h2 ? Text(h2, "sha") : null,
            pull is { } b2 && Object(b2, "base") is { } baseBranch ? Text(baseBranch, "ref") : null,
            pull is { } m && m.TryGetProperty("merged", out var merged) && merged.ValueKind == JsonValueKind.True,
            Object(root, "requested_reviewer") is { } reviewer ? Text(reviewer, "login") : null,
            review is { } r1 ? Text(r1, "type") : null,
            review is { } r2 ? Text(r2, "content") : null,
            comment is { } c1 ? Long(c1, "id") : null,
            comment is { } c2 ? Text(c2, "body") : null);
    }

    private static string? First(IHeaderDictionary headers, params string[] names) =>
        names.Select(n => headers[n].ToString()).FirstOrDefault(v => v.Length > 0);

    private static JsonElement? Object(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;
}
