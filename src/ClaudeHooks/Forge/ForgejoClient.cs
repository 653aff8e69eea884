using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Security;

namespace ClaudeHooks.Forge;

/// <summary>
/// Forgejo/Gitea REST API v1 with one agent's token (<c>Authorization: token ...</c>): pagination through
/// <c>page</c>/<c>limit</c>, retries with backoff on 5xx and 429, and errors that quote the forge's message.
/// Every body it sends is redacted on the way out, whoever composed it.
/// </summary>
internal sealed class ForgejoClient(HttpClient http, Uri forgeUrl, string token, SecretRedactor? redactor = null) : IForgeClient
{
    private readonly SecretRedactor _redactor = redactor ?? SecretRedactor.FormatsOnly;

    private const int PageSize = 50;
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

    public async Task<ForgeComment> CreateCommentAsync(string repo, long number, string body, CancellationToken cancellationToken) =>
        await ReadAsync<ForgeComment>(await SendAsync(HttpMethod.Post, $"repos/{repo}/issues/{number}/comments", new { body }, cancellationToken), cancellationToken);

    public async Task EditCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Patch, $"repos/{repo}/issues/comments/{commentId}", new { body }, cancellationToken);
    }

    public async Task<ForgePull> CreateOrGetPullAsync(string repo, string head, string @base, string title, string body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls", new { head, @base, title, body }, cancellationToken, allow: [HttpStatusCode.Conflict]);
        return response.StatusCode == HttpStatusCode.Conflict
            ? await GetAsync<ForgePull>($"repos/{repo}/pulls/{Uri.EscapeDataString(@base)}/{Uri.EscapeDataString(head)}", cancellationToken)
            : (await response.Content.ReadFromJsonAsync<ForgePull>(Json, cancellationToken))!;
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
        for (var attempt = 1; ; attempt++)
        {
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
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException) when (attempt < 4)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new ForgeApiException($"{method} {url.AbsolutePath}: cannot reach the forge at {forgeUrl} ({e.Message})");
            }

            if (response.IsSuccessStatusCode || (allow?.Contains(response.StatusCode) ?? false))
            {
                return response;
            }

            var retry = (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests;
            if (retry && attempt < 4)
            {
                response.Dispose();
                await Task.Delay(Backoff(attempt), cancellationToken);
                continue;
            }

            using (response)
            {
                throw new ForgeApiException($"{method} {url.AbsolutePath} answered {(int)response.StatusCode}: {await MessageAsync(response, cancellationToken)}", response.StatusCode);
            }
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds((200 * Math.Pow(2, attempt - 1)) + Random.Shared.Next(0, 100));

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

internal sealed class ForgeApiException(string message, HttpStatusCode? status = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
}
