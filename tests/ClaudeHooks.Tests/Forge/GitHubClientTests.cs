using ClaudeHooks.Forge;
using ClaudeHooks.Forge.GitHub;

namespace ClaudeHooks.Tests.Forge;

/// <summary>The GitHub client against a scripted server: where it will and will not send its token, what a merge deletes, and answers it must survive.</summary>
public sealed class GitHubClientTests
{
    private const string Token = "ghs_installationtoken0123456789";

    private static GitHubClient Client(HttpClient http, Uri server) =>
        new(http, new Uri(server, "api/v3/"), _ => ValueTask.FromResult(new ForgeCredential(Token, "x-access-token", null)));

    private static string Pull(string? headRepo) => $$"""
        { "number": 3, "state": "closed", "merged": true, "mergeable": true, "title": "t", "body": "", "html_url": "http://x/3",
          "user": { "login": "it-dev", "type": "User" },
          "head": { "ref": "release-2.x", "sha": "{{new string('a', 40)}}", "repo": {{(headRepo is null ? "null" : $$"""{ "full_name": "{{headRepo}}" }""")}} },
          "base": { "ref": "main", "sha": "{{new string('b', 40)}}", "repo": { "full_name": "acme/widgets" } } }
        """;

    [Fact]
    public async Task NextPageLink_ThatWouldNameAnotherHost_IsNotFollowed_AndTheTokenStaysHome()
    {
        await using var elsewhere = await ScriptedForgeServer.StartAsync((c, _) => ScriptedForgeServer.Json(c, 200, "[]"));
        await using var api = await ScriptedForgeServer.StartAsync((c, n) => ScriptedForgeServer.Json(c, 200, n == 1 ? """[{ "number": 1, "title": "a", "body": "", "state": "open", "user": { "login": "alice" }, "assignees": [] }]""" : "[]",
            h => h["Link"] = $"<{new Uri(c.Request.Scheme + "://" + c.Request.Host + "/")}api/v3///{elsewhere.Url.Authority}/steal?page=2>; rel=\"next\""));
        using var http = new HttpClient();

        var issues = await Client(http, api.Url).ListOpenIssuesAsync("acme/widgets", CancellationToken.None);

        Assert.Single(issues);
        Assert.Single(api.Requests);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task NextPageLink_UnderTheApi_IsFollowed()
    {
        await using var api = await ScriptedForgeServer.StartAsync((c, n) => ScriptedForgeServer.Json(c, 200,
            $$"""[{ "number": {{n}}, "title": "a", "body": "", "state": "open", "user": { "login": "alice" }, "assignees": [] }]""",
            h => { if (n == 1) h["Link"] = $"<http://{c.Request.Host}/api/v3/repos/acme/widgets/issues?state=open&page=2>; rel=\"next\""; }));
        using var http = new HttpClient();

        var issues = await Client(http, api.Url).ListOpenIssuesAsync("acme/widgets", CancellationToken.None);

        Assert.Equal([1L, 2L], issues.Select(i => i.Number));
        Assert.Equal("/api/v3/repos/acme/widgets/issues", api.Requests[1].Path);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("fork-owner/widgets", false)]
    [InlineData("acme/widgets", true)]
    public async Task Merge_DeletesTheHeadBranch_OnlyWhenItIsThisRepositorys(string? headRepo, bool deleted)
    {
        await using var api = await ScriptedForgeServer.StartAsync((c, _) => c.Request.Method switch
        {
            "PUT" => ScriptedForgeServer.Json(c, 200, """{ "merged": true, "sha": "c" }"""),
            "DELETE" => ScriptedForgeServer.Json(c, 204, ""),
            _ => ScriptedForgeServer.Json(c, 200, Pull(headRepo)),
        });
        using var http = new HttpClient();

        var result = await Client(http, api.Url).MergeAsync("acme/widgets", 3, "merge", new string('a', 40), deleteBranch: true, CancellationToken.None);

        Assert.Equal(MergeResult.Merged, result);
        Assert.Equal(deleted, api.Requests.Any(r => r.Method == "DELETE"));
    }

    [Fact]
    public async Task RateLimitResetBeyondAnyDate_IsAnErrorNamingTheWait_NotACrash()
    {
        await using var api = await ScriptedForgeServer.StartAsync((c, _) => ScriptedForgeServer.Json(c, 403, """{ "message": "API rate limit exceeded" }""",
            h => { h["x-ratelimit-remaining"] = "0"; h["x-ratelimit-reset"] = "99999999999999"; }));
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Client(http, api.Url).GetIssueAsync("acme/widgets", 1, CancellationToken.None));

        Assert.Contains("rate limit", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.RetryAt);
        Assert.InRange(e.RetryAt!.Value, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1).AddMinutes(1));
    }
}
