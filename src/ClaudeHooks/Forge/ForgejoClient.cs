using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Security;
using Polly.Timeout;

namespace ClaudeHooks.Forge;

/// <summary>
/// Forgejo/Gitea REST API v1 with one agent's token (<c>Authorization: token ...</c>): pagination through
/// <c>page</c>/<c>limit</c>, and errors that quote the forge's message and say whether a failed write may have been
/// applied (<see cref="ForgeApiException.OutcomeUnknown"/>). Retries are the "forge" client's (<see cref="ForgeHttp"/>).
/// Every body it sends is redacted on the way out, whoever composed it.
/// </summary>
internal sealed class ForgejoClient(HttpClient http, Uri forgeUrl, string token, SecretRedactor? redactor = null) : IForgeClient
{
    private readonly SecretRedactor _redactor = redactor ?? SecretRedactor.FormatsOnly;

    private const int PageSize = 50;
    private const string MayHaveApplied = "the forge may have applied it: read its state before sending it again";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<ForgeUser> GetCurrentUserAsync(CancellationToken cancellationToken) =>
        await GetAsync<ForgeUser>("user", cancellationToken);

    public async Task<string> GetDefaultBranchAsync(string repo, CancellationToken cancellationToken) =>
        (await GetAsync<ForgeRepositoryInfo>($"repos/{repo}", cancellationToken)).DefaultBranch;

    public async Task<string> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"repos/{repo}/collaborators/{Uri.EscapeDataString(user)}/permission", null, cancellationToken, allow: [HttpStatusCode.NotFound, HttpStatusCode.Forbidden]);
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<ForgePermission>(Json, cancellationToken))!.Permission : "none";
    }

    public async Task<ForgeIssue> GetIssueAsync(string repo, long number, CancellationToken cancellationToken) =>
        await GetAsync<ForgeIssue>($"repos/{repo}/issues/{number}", cancellationToken);

    public async Task<IReadOnlyList<ForgeIssue>> ListOpenIssuesAsync(string repo, CancellationToken cancellationToken) =>
        await ListAsync<ForgeIssue>($"repos/{repo}/issues?state=open&type=issues", cancellationToken);

    public async Task<IReadOnlyList<ForgeComment>> ListCommentsAsync(string repo, long number, CancellationToken cancellationToken) =>
        // Forgejo answers this one with every comment at once: it takes no page or limit, and one sent would only
        // make the next page repeat the first.
        await GetAsync<List<ForgeComment>>($"repos/{repo}/issues/{number}/comments", cancellationToken);

    public async Task<ForgeComment> CreateCommentAsync(string repo, long number, string body, CancellationToken cancellationToken) =>
        await ReadAsync<ForgeComment>(await SendAsync(HttpMethod.Post, $"repos/{repo}/issues/{number}/comments", new { body }, cancellationToken), cancellationToken);

    public async Task EditCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Patch, $"repos/{repo}/issues/comments/{commentId}", new { body }, cancellationToken);
    }

    public async Task<ForgePull> CreateOrGetPullAsync(string repo, string head, string @base, string title, string body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls", new { head, @base, title, body }, cancellationToken, allow: [HttpStatusCode.Conflict]);
        if (response.StatusCode != HttpStatusCode.Conflict)
        {
            return (await response.Content.ReadFromJsonAsync<ForgePull>(Json, cancellationToken))!;
        }

        // The 409 means an open one exists; the forge's lookup by branches may pick an older closed one instead.
        if (await FindPullAsync(repo, head, @base, cancellationToken) is { State: "open" } found)
        {
            return found;
        }

        return (await ListOpenPullsAsync(repo, cancellationToken)).LastOrDefault(p => p.Head.Ref == head && p.Base.Ref == @base)
            ?? throw new ForgeApiException($"POST /api/v1/repos/{repo}/pulls answered 409 for {head} into {@base}, but no open pull request of those branches can be found", HttpStatusCode.Conflict);
    }

    public async Task<ForgePull?> FindPullAsync(string repo, string head, string @base, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"repos/{repo}/pulls/{Uri.EscapeDataString(@base)}/{BranchPath(head)}", null, cancellationToken, allow: [HttpStatusCode.NotFound]);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadFromJsonAsync<ForgePull>(Json, cancellationToken);
    }

    public async Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"repos/{repo}/branches/{BranchPath(branch)}", null, cancellationToken, allow: [HttpStatusCode.NotFound]);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    public async Task<ForgePull> GetPullAsync(string repo, long number, CancellationToken cancellationToken) =>
        await GetAsync<ForgePull>($"repos/{repo}/pulls/{number}", cancellationToken);

    public async Task<IReadOnlyList<ForgePull>> ListOpenPullsAsync(string repo, CancellationToken cancellationToken) =>
        await ListAsync<ForgePull>($"repos/{repo}/pulls?state=open", cancellationToken);

    public async Task RequestReviewAsync(string repo, long number, string reviewer, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls/{number}/requested_reviewers", new { reviewers = new[] { reviewer } }, cancellationToken);
    }

    public async Task<IReadOnlyList<ForgeReview>> ListReviewsAsync(string repo, long number, CancellationToken cancellationToken) =>
        await ListAsync<ForgeReview>($"repos/{repo}/pulls/{number}/reviews", cancellationToken);

    public async Task<IReadOnlyList<ForgeReviewComment>> GetReviewCommentsAsync(string repo, long number, long reviewId, CancellationToken cancellationToken) =>
        await GetAsync<List<ForgeReviewComment>>($"repos/{repo}/pulls/{number}/reviews/{reviewId}/comments", cancellationToken);

    public async Task<ForgeReview> CreateReviewAsync(string repo, long number, ReviewSubmission review, CancellationToken cancellationToken) =>
        await ReadAsync<ForgeReview>(await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls/{number}/reviews", new
        {
            @event = review.Event,
            body = review.Body,
            commit_id = review.CommitId,
            comments = review.Comments.Select(c => new { path = c.Path, body = c.Body, new_position = c.Line }),
        }, cancellationToken), cancellationToken);

    public async Task<MergeResult> MergeAsync(string repo, long number, string style, string headSha, bool deleteBranch, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object> { ["Do"] = style, ["head_commit_id"] = headSha, ["delete_branch_after_merge"] = deleteBranch };
        using var response = await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls/{number}/merge", body, cancellationToken, allow: [HttpStatusCode.MethodNotAllowed, HttpStatusCode.Conflict]);
        if (response.IsSuccessStatusCode)
        {
            return MergeResult.Merged;
        }

        var message = await MessageAsync(response, cancellationToken);
        return response.StatusCode == HttpStatusCode.Conflict
            ? MergeResult.Conflict
            : message.Contains("try again later", StringComparison.OrdinalIgnoreCase)
                ? MergeResult.TryAgainLater
                : throw new ForgeApiException($"merging {repo}#{number} refused (405): {message}");
    }

    public async Task<IReadOnlyList<ForgeTimelineEntry>> ListTimelineAsync(string repo, long number, CancellationToken cancellationToken) =>
        await ListAsync<ForgeTimelineEntry>($"repos/{repo}/issues/{number}/timeline", cancellationToken);

    /// <summary>
    /// A branch name as the path's tail. Forgejo routes these as a wildcard, so a name's slashes stay slashes: an
    /// escaped one (<c>%2F</c>) is refused or decoded differently by the proxies in front of many forges.
    /// </summary>
    private static string BranchPath(string branch) => string.Join('/', branch.Split('/').Select(Uri.EscapeDataString));

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        await ReadAsync<T>(await SendAsync(HttpMethod.Get, path, null, cancellationToken), cancellationToken);

    private async Task<IReadOnlyList<T>> ListAsync<T>(string path, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        for (var page = 1; page <= 100; page++)
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var items = await GetAsync<List<T>>(string.Create(CultureInfo.InvariantCulture, $"{path}{separator}page={page}&limit={PageSize}"), cancellationToken);
            all.AddRange(items);
            if (items.Count < PageSize)
            {
                break;
            }
        }

        return all;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (response)
        {
            return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken, HttpStatusCode[]? allow = null)
    {
        var url = new Uri(new Uri(forgeUrl.ToString().TrimEnd('/') + "/api/v1/"), path);
        var what = $"{method} {url.AbsolutePath}";
        var write = !ForgeHttp.IsSafe(method);
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        if (body is not null)
        {
            // A marker is plain text, so it can stand inside any JSON string it replaces part of.
            request.Content = new StringContent(_redactor.Redact(JsonSerializer.Serialize(body, Json)).Text, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            // Retries, backoff and timeouts are the "forge" client's pipeline (ForgeHttp), never a loop here.
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (write && !ForgeHttp.NeverSent(e))
        {
            throw new ForgeApiException($"{what}: the connection to the forge at {forgeUrl} failed before it answered ({e.Message}); {MayHaveApplied}", outcomeUnknown: true, inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new ForgeApiException($"{what}: cannot reach the forge at {forgeUrl} ({e.Message})", inner: e);
        }
        catch (Exception e) when (e is TimeoutRejectedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ForgeApiException($"{what}: the forge at {forgeUrl} did not answer in time{(write ? $"; {MayHaveApplied}" : "")}", outcomeUnknown: write, inner: e);
        }

        if (response.IsSuccessStatusCode || (allow?.Contains(response.StatusCode) ?? false))
        {
            return response;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var message = $"{what} answered {status}: {await MessageAsync(response, cancellationToken)}";

            // A 4xx is the forge (or a proxy before it) refusing; a 5xx may come after the write was applied.
            var unknown = write && status >= 500;
            if (unknown)
            {
                message += $"; {MayHaveApplied}";
            }

            DateTimeOffset? retryAt = null;
            if (ForgeHttp.RetryAfter(response, TimeProvider.System) is { } wait)
            {
                retryAt = TimeProvider.System.GetUtcNow() + wait;
                message += string.Create(CultureInfo.InvariantCulture, $"; the forge asks to be called again in {wait.TotalSeconds:0} s, after {retryAt:yyyy-MM-ddTHH:mm:ssZ}");
            }

            throw new ForgeApiException(message, response.StatusCode, unknown, retryAt);
        }
    }

    private static async Task<string> MessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("message", out var message) ? message.GetString() ?? text : text;
        }
        catch (JsonException)
        {
            return text.Length > 300 ? text[..300] : text;
        }
    }
}
