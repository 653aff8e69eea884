using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClaudeHooks.Security;
using Polly.Timeout;

namespace ClaudeHooks.Forge.GitHub;

/// <summary>
/// GitHub's REST API (github.com or GitHub Enterprise Server) behind the forge seam, answering in the Forgejo
/// vocabulary the flows use (review states, timeline entries, merge results). A thin typed client rather than Octokit:
/// the seam needs its writes to say whether a lost answer may have been applied (<see cref="ForgeApiException.OutcomeUnknown"/>),
/// every attempt to go through the "forge" client's retries, rate-limit waits and metrics (<see cref="ForgeHttp"/>), and
/// every body it sends to be redacted on the way out; Octokit brings its own connection, retries and exceptions.
/// The token is asked for each request, so a minted installation token is renewed before it expires.
/// </summary>
internal sealed partial class GitHubClient(HttpClient http, Uri apiUrl, Func<CancellationToken, ValueTask<ForgeCredential>> credential, SecretRedactor? redactor = null) : IForgeClient
{
    private const int PageSize = 100;
    private const int MaxPages = 50;
    private const string MayHaveApplied = "GitHub may have applied it: read its state before sending it again";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly SecretRedactor _redactor = redactor ?? SecretRedactor.FormatsOnly;

    public async Task<ForgeUser> GetCurrentUserAsync(CancellationToken cancellationToken) =>
        await GetAsync<ForgeUser>("user", cancellationToken);

    public async Task<string> GetDefaultBranchAsync(string repo, CancellationToken cancellationToken) =>
        (await GetAsync<ForgeRepositoryInfo>($"repos/{repo}", cancellationToken)).DefaultBranch;

    public async Task<string> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"repos/{repo}/collaborators/{Uri.EscapeDataString(user)}/permission", null, cancellationToken, allow: [HttpStatusCode.NotFound, HttpStatusCode.Forbidden]);
        if (!response.IsSuccessStatusCode)
        {
            return "none";
        }

        var permission = (await response.Content.ReadFromJsonAsync<GitHubPermission>(Json, cancellationToken))!;

        // "maintain" reads as "write" in the older field; the role says it too.
        return permission.RoleName is "maintain" ? "write" : permission.Permission;
    }

    public async Task<ForgeIssue> GetIssueAsync(string repo, long number, CancellationToken cancellationToken) =>
        await GetAsync<ForgeIssue>($"repos/{repo}/issues/{number}", cancellationToken);

    public async Task<IReadOnlyList<ForgeIssue>> ListOpenIssuesAsync(string repo, CancellationToken cancellationToken) =>
        // GitHub lists pull requests among issues; they carry "pull_request".
        [.. (await ListAsync<ForgeIssue>($"repos/{repo}/issues?state=open", cancellationToken)).Where(i => i.PullRequest is null)];

    public async Task<IReadOnlyList<ForgeComment>> ListCommentsAsync(string repo, long number, CancellationToken cancellationToken) =>
        await ListAsync<ForgeComment>($"repos/{repo}/issues/{number}/comments", cancellationToken);

    public async Task<ForgeComment> CreateCommentAsync(string repo, long number, string body, CancellationToken cancellationToken) =>
        await ReadAsync<ForgeComment>(await SendAsync(HttpMethod.Post, $"repos/{repo}/issues/{number}/comments", new { body }, cancellationToken), cancellationToken);

    public async Task EditCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Patch, $"repos/{repo}/issues/comments/{commentId}", new { body }, cancellationToken);
    }

    public async Task<ForgePull> CreateOrGetPullAsync(string repo, string head, string @base, string title, string body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls", new { head, @base, title, body }, cancellationToken, allow: [HttpStatusCode.UnprocessableEntity]);
        if (response.IsSuccessStatusCode)
        {
            return (await response.Content.ReadFromJsonAsync<ForgePull>(Json, cancellationToken))!;
        }

        // 422 "A pull request already exists for owner:branch." is the one refusal that means it is there.
        var message = await MessageAsync(response, cancellationToken);
        if (message.Contains("already exists", StringComparison.OrdinalIgnoreCase)
            && (await ListPullsAsync(repo, head, @base, "open", cancellationToken)).FirstOrDefault() is { } open)
        {
            return open;
        }

        throw new ForgeApiException($"POST {Path($"repos/{repo}/pulls")} answered 422: {message}", HttpStatusCode.UnprocessableEntity);
    }

    public async Task<ForgePull?> FindPullAsync(string repo, string head, string @base, CancellationToken cancellationToken) =>
        (await ListPullsAsync(repo, head, @base, "all", cancellationToken)).OrderByDescending(p => p.State == "open").FirstOrDefault();

    public async Task<ForgePull> GetPullAsync(string repo, long number, CancellationToken cancellationToken) =>
        await GetAsync<ForgePull>($"repos/{repo}/pulls/{number}", cancellationToken);

    public async Task<IReadOnlyList<ForgePull>> ListOpenPullsAsync(string repo, CancellationToken cancellationToken) =>
        await ListAsync<ForgePull>($"repos/{repo}/pulls?state=open", cancellationToken);

    public async Task RequestReviewAsync(string repo, long number, string reviewer, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls/{number}/requested_reviewers", new { reviewers = new[] { reviewer } }, cancellationToken);
    }

    public async Task<IReadOnlyList<ForgeReview>> ListReviewsAsync(string repo, long number, CancellationToken cancellationToken) =>
        [.. (await ListAsync<GitHubReview>($"repos/{repo}/pulls/{number}/reviews", cancellationToken)).Select(r => r.ToForge())];

    public async Task<IReadOnlyList<ForgeReviewComment>> GetReviewCommentsAsync(string repo, long number, long reviewId, CancellationToken cancellationToken) =>
        [.. (await ListAsync<GitHubReviewComment>($"repos/{repo}/pulls/{number}/reviews/{reviewId}/comments", cancellationToken)).Select(c => c.ToForge())];

    public async Task<ForgeReview> CreateReviewAsync(string repo, long number, ReviewSubmission review, CancellationToken cancellationToken)
    {
        var body = new
        {
            commit_id = review.CommitId,
            body = review.Body,
            @event = review.Event switch
            {
                "APPROVED" => "APPROVE",
                "REQUEST_CHANGES" => "REQUEST_CHANGES",
                _ => "COMMENT",
            },
            comments = review.Comments.Select(c => new { path = c.Path, body = c.Body, line = c.Line, side = "RIGHT" }),
        };
        return (await ReadAsync<GitHubReview>(await SendAsync(HttpMethod.Post, $"repos/{repo}/pulls/{number}/reviews", body, cancellationToken), cancellationToken)).ToForge();
    }

    public async Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken cancellationToken)
    {
        // GitHub answers a ref that is already gone with 422 "Reference does not exist".
        using var response = await SendAsync(HttpMethod.Delete, $"repos/{repo}/git/refs/heads/{BranchPath(branch)}", null, cancellationToken, allow: [HttpStatusCode.NotFound, HttpStatusCode.UnprocessableEntity]);
        return response.IsSuccessStatusCode;
    }

    public async Task<MergeResult> MergeAsync(string repo, long number, string style, string headSha, bool deleteBranch, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, $"repos/{repo}/pulls/{number}/merge", new { merge_method = style, sha = headSha }, cancellationToken,
            allow: [HttpStatusCode.MethodNotAllowed, HttpStatusCode.Conflict]);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            // "Head branch was modified": the head is no longer the commit that was approved.
            return MergeResult.Conflict;
        }

        if (response.StatusCode == HttpStatusCode.MethodNotAllowed)
        {
            var message = await MessageAsync(response, cancellationToken);

            // GitHub computes mergeability in the background; until it knows, the pull request reads as not mergeable.
            var pull = await GetPullAsync(repo, number, cancellationToken);
            return pull.Mergeable is null
                ? MergeResult.TryAgainLater
                : throw new ForgeApiException($"merging {repo}#{number} refused (405): {message}");
        }

        if (deleteBranch)
        {
            // GitHub's merge API leaves the branch; a fork's branch is not this repository's to delete, nor is the
            // branch of a fork that was deleted (its head repository reads null, its name may be one of ours).
            var pull = await GetPullAsync(repo, number, cancellationToken);
            if (pull.Head.Repo is { } head && string.Equals(head.FullName, repo, StringComparison.OrdinalIgnoreCase))
            {
                await DeleteBranchAsync(repo, pull.Head.Ref, cancellationToken);
            }
        }

        return MergeResult.Merged;
    }

    public async Task<IReadOnlyList<ForgeTimelineEntry>> ListTimelineAsync(string repo, long number, CancellationToken cancellationToken) =>
        [.. (await ListAsync<GitHubTimelineEvent>($"repos/{repo}/issues/{number}/timeline", cancellationToken)).Select(e => e.ToForge()).OfType<ForgeTimelineEntry>()];

    private async Task<IReadOnlyList<ForgePull>> ListPullsAsync(string repo, string head, string @base, string state, CancellationToken cancellationToken)
    {
        // GitHub's head filter is "owner:branch"; an unqualified branch is this repository's.
        var owner = repo.Split('/')[0];
        var qualified = head.Contains(':', StringComparison.Ordinal) ? head : $"{owner}:{head}";
        var pulls = await ListAsync<ForgePull>($"repos/{repo}/pulls?state={state}&head={Uri.EscapeDataString(qualified)}&base={Uri.EscapeDataString(@base)}", cancellationToken);
        var branch = qualified[(qualified.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return [.. pulls.Where(p => p.Head.Ref == branch && p.Base.Ref == @base)];
    }

    private static string BranchPath(string branch) => string.Join('/', branch.Split('/').Select(Uri.EscapeDataString));

    private string Path(string path) => new Uri(apiUrl, path).AbsolutePath;

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        await ReadAsync<T>(await SendAsync(HttpMethod.Get, path, null, cancellationToken), cancellationToken);

    private async Task<IReadOnlyList<T>> ListAsync<T>(string path, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var next = string.Create(CultureInfo.InvariantCulture, $"{path}{separator}per_page={PageSize}");
        for (var page = 0; next is not null && page < MaxPages; page++)
        {
            using var response = await SendAsync(HttpMethod.Get, next, null, cancellationToken);
            all.AddRange((await response.Content.ReadFromJsonAsync<List<T>>(Json, cancellationToken))!);
            next = NextPage(response);
        }

        return all;
    }

    /// <summary>The <c>rel="next"</c> link, when it stays under the API's base (a link elsewhere is not followed).</summary>
    private string? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (Match match in LinkPattern().Matches(string.Join(',', values)))
        {
            if (match.Groups["rel"].Value == "next" && Uri.TryCreate(match.Groups["url"].Value, UriKind.Absolute, out var url) && OnTheApi(url))
            {
                // Kept absolute: made relative again, a path such as ///elsewhere/x would name another host.
                return url.AbsoluteUri;
            }
        }

        return null;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using (response)
        {
            return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
        }
    }

    /// <summary>Under the configured API: same scheme, host and port, and a path below the API's own, so no token goes elsewhere.</summary>
    private bool OnTheApi(Uri url) =>
        url.Scheme == apiUrl.Scheme && url.Authority == apiUrl.Authority && apiUrl.IsBaseOf(url) && !url.AbsolutePath.Contains("//", StringComparison.Ordinal);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken, HttpStatusCode[]? allow = null)
    {
        var url = Uri.TryCreate(path, UriKind.Absolute, out var absolute) ? absolute : new Uri(apiUrl, path);
        if (!OnTheApi(url))
        {
            throw new ForgeApiException($"{method} {url.AbsolutePath} is not under the configured GitHub API {apiUrl}; nothing was sent");
        }

        var what = $"{method} {url.AbsolutePath}";
        var write = !ForgeHttp.IsSafe(method);
        var token = (await credential(cancellationToken)).Token;
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        request.Headers.UserAgent.ParseAdd("claude-hooks");
        if (body is not null)
        {
            request.Content = new StringContent(_redactor.Redact(JsonSerializer.Serialize(body, Json)).Text, Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e) when (write && !ForgeHttp.NeverSent(e))
        {
            throw new ForgeApiException($"{what}: the connection to GitHub at {apiUrl} failed before it answered ({e.Message}); {MayHaveApplied}", outcomeUnknown: true, inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new ForgeApiException($"{what}: cannot reach GitHub at {apiUrl} ({e.Message})", inner: e);
        }
        catch (Exception e) when (e is TimeoutRejectedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ForgeApiException($"{what}: GitHub at {apiUrl} did not answer in time{(write ? $"; {MayHaveApplied}" : "")}", outcomeUnknown: write, inner: e);
        }

        if (response.IsSuccessStatusCode || (allow?.Contains(response.StatusCode) ?? false))
        {
            return response;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var message = $"{what} answered {status}: {await MessageAsync(response, cancellationToken)}";
            var unknown = write && status >= 500;
            if (unknown)
            {
                message += $"; {MayHaveApplied}";
            }

            DateTimeOffset? retryAt = null;
            if (ForgeHttp.RetryAfter(response, TimeProvider.System) is { } wait)
            {
                retryAt = TimeProvider.System.GetUtcNow() + wait;
                message += string.Create(CultureInfo.InvariantCulture, $"; GitHub's rate limit asks to be called again in {wait.TotalSeconds:0} s, after {retryAt:yyyy-MM-ddTHH:mm:ssZ}");
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
            var root = document.RootElement;
            var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? text : text;

            // Validation failures put the reason in errors[].message.
            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var reasons = errors.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()
                    : e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var em) && em.ValueKind == JsonValueKind.String ? em.GetString() : null).OfType<string>().ToList();
                if (reasons.Count > 0)
                {
                    message += ": " + string.Join("; ", reasons);
                }
            }

            return message;
        }
        catch (JsonException)
        {
            return text.Length > 300 ? text[..300] : text;
        }
    }

    [GeneratedRegex("<(?<url>[^>]+)>\\s*;\\s*rel=\"(?<rel>[a-z]+)\"")]
    private static partial Regex LinkPattern();
}
