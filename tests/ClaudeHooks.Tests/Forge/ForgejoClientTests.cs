using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ClaudeHooks.Forge;
using ClaudeHooks.TestServers;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// The forge client through the service's own "forge" pipeline: reads are retried, writes are not unless the forge
/// provably did nothing, and a write whose answer was lost says so. Against a scripted loopback server for the
/// failures the fake cannot make, and against the fake forge (with real bare repositories) for the rest.
/// </summary>
public sealed class ForgejoClientTests : IAsyncLifetime
{
    private const string Token = "dev-token";
    private const string Repo = "repo";

    // Short backoff so retries do not slow the suite; Retry-After waits stay as the forge asks.
    private static readonly ForgeHttpOptions Fast = new() { BaseDelay = TimeSpan.FromMilliseconds(20), AttemptTimeout = TimeSpan.FromSeconds(5) };

    private readonly List<IAsyncDisposable> _servers = [];
    private readonly List<ServiceProvider> _providers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        foreach (var server in Enumerable.Reverse(_servers))
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Get_502ThenOk_RetriedAndSucceeds()
    {
        var server = await ScriptedAsync((c, n) => n == 1
            ? ScriptedForgeServer.Json(c, 502, "<html><body>502 Bad Gateway</body></html>")
            : ScriptedForgeServer.Json(c, 200, """{"id":7,"login":"dev-bot"}"""));

        var user = await Client(server.Url).GetCurrentUserAsync(CancellationToken.None);

        Assert.Equal("dev-bot", user.Login);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Get_RetryAfterAsHttpDate_WaitsUntilThen()
    {
        var server = await ScriptedAsync((c, n) => n == 1
            ? ScriptedForgeServer.Json(c, 503, """{"message":"maintenance"}""", h => h.RetryAfter = DateTimeOffset.UtcNow.AddSeconds(2).ToString("R", CultureInfo.InvariantCulture))
            : ScriptedForgeServer.Json(c, 200, """{"id":7,"login":"dev-bot"}"""));

        await Client(server.Url).GetCurrentUserAsync(CancellationToken.None);

        // An HTTP date has whole seconds, so "now + 2 s" asks for more than one second.
        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(900), $"waited only {requests[1].At - requests[0].At}");
    }

    [Fact]
    public async Task Get_AttemptTimesOut_RetriedAndSucceeds()
    {
        var server = await ScriptedAsync(async (c, n) =>
        {
            if (n == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), c.RequestAborted);
            }

            await ScriptedForgeServer.Json(c, 200, """{"id":7,"login":"dev-bot"}""");
        });

        var user = await Client(server.Url, Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(300) }).GetCurrentUserAsync(CancellationToken.None);

        Assert.Equal("dev-bot", user.Login);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Get_AlwaysFailing_TriesFourTimesThenQuotesTheForge()
    {
        var server = await ScriptedAsync((c, _) => ScriptedForgeServer.Json(c, 500, """{"message":"database is locked"}"""));

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Client(server.Url).GetCurrentUserAsync(CancellationToken.None));

        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(HttpStatusCode.InternalServerError, e.Status);
        Assert.False(e.OutcomeUnknown);
        Assert.Contains("database is locked", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_500_NotRetriedAndOutcomeUnknown()
    {
        var server = await ScriptedAsync((c, _) => ScriptedForgeServer.Json(c, 500, """{"message":"internal error"}"""));

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Client(server.Url).CreateCommentAsync("o/r", 1, "hello", CancellationToken.None));

        Assert.Single(server.Requests);
        Assert.True(e.OutcomeUnknown);
        Assert.Contains("internal error", e.Message, StringComparison.Ordinal);
        Assert.Contains("may have applied", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_422_RefusedNotUnknown()
    {
        var server = await ScriptedAsync((c, _) => ScriptedForgeServer.Json(c, 422, """{"message":"Body: Required"}"""));

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Client(server.Url).CreateCommentAsync("o/r", 1, "x", CancellationToken.None));

        Assert.Single(server.Requests);
        Assert.False(e.OutcomeUnknown);
        Assert.Equal((HttpStatusCode)422, e.Status);
        Assert.Contains("Body: Required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_AttemptTimesOut_NotRetriedAndOutcomeUnknown()
    {
        var server = await ScriptedAsync((c, _) => Task.Delay(TimeSpan.FromSeconds(10), c.RequestAborted));

        var e = await Assert.ThrowsAsync<ForgeApiException>(() =>
            Client(server.Url, Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(300) }).MergeAsync("o/r", 3, "squash", "abc", true, CancellationToken.None));

        Assert.Single(server.Requests);
        Assert.True(e.OutcomeUnknown);
        Assert.Contains("did not answer in time", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_RetryAfterLongerThanTheCap_FailsAtOnceSayingWhen()
    {
        var server = await ScriptedAsync((c, _) => ScriptedForgeServer.Json(c, 429, """{"message":"slow down"}""", h => h.RetryAfter = "120"));
        var before = DateTimeOffset.UtcNow;

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Client(server.Url).CreateCommentAsync("o/r", 1, "hello", CancellationToken.None));

        Assert.Single(server.Requests);
        Assert.False(e.OutcomeUnknown);
        Assert.NotNull(e.RetryAt);
        Assert.InRange(e.RetryAt.Value, before.AddSeconds(119), DateTimeOffset.UtcNow.AddSeconds(121));
        Assert.Contains("called again in 120 s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ConnectionRefused_RetriedAndNotUnknown()
    {
        // Nothing listens on a port just released: the request never leaves, so the write provably did not happen.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => Client(new Uri($"http://127.0.0.1:{port}"), Fast).CreateCommentAsync("o/r", 1, "hello", CancellationToken.None));

        Assert.False(e.OutcomeUnknown);
        Assert.Contains("cannot reach the forge", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_Body_IsRedactedOnTheWayOut()
    {
        var server = await ScriptedAsync((c, _) => ScriptedForgeServer.Json(c, 201, """{"id":1,"body":"x","user":{"id":7,"login":"dev-bot"}}"""));

        await Client(server.Url).CreateCommentAsync("o/r", 1, "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 leaked", CancellationToken.None);

        var body = Assert.Single(server.Requests).Body;
        Assert.DoesNotContain("ghp_", body, StringComparison.Ordinal);
        Assert.Contains("[redacted: github token format]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateComment_502AfterApply_NotRetriedOutcomeUnknownAndFoundByListing()
    {
        var (forge, client) = await FakeAsync();
        var issue = forge.CreateIssue("bug", "it breaks", "alice");
        forge.FailAfterApply.Add(ForgeWriteKind.Comment);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.CreateCommentAsync(forge.FullName, issue, "On it", CancellationToken.None));

        Assert.True(e.OutcomeUnknown);
        Assert.Equal(HttpStatusCode.BadGateway, e.Status);
        var post = Assert.Single(forge.Calls, c => c.Method == "POST");
        Assert.Equal(502, post.Injected);
        Assert.Single(forge.CommentsOn(issue));

        // What an outbox does before sending it again: the comment is there, so it is not posted twice.
        var comments = await client.ListCommentsAsync(forge.FullName, issue, CancellationToken.None);
        Assert.Equal("On it", Assert.Single(comments).Body);
        Assert.Equal("dev-bot", comments[0].User.Login);
    }

    [Fact]
    public async Task CreateComment_429RetryAfter1_WaitsThenAppliedOnce()
    {
        var (forge, client) = await FakeAsync();
        var issue = forge.CreateIssue("bug", "it breaks", "alice");
        forge.RateLimitNext.Add(ForgeWriteKind.Comment);
        var clock = Stopwatch.StartNew();

        var comment = await client.CreateCommentAsync(forge.FullName, issue, "On it", CancellationToken.None);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after only {clock.Elapsed}");
        var posts = forge.Calls.Where(c => c.Method == "POST").ToList();
        Assert.Equal([429, null], posts.Select(p => p.Injected));
        Assert.Equal(comment.Id, Assert.Single(forge.CommentsOn(issue)).Id);
    }

    [Fact]
    public async Task ListComments_ManyComments_AllInOneAnswer()
    {
        var (forge, client) = await FakeAsync();
        var issue = forge.CreateIssue("bug", "it breaks", "alice");
        for (var i = 0; i < 55; i++)
        {
            await client.CreateCommentAsync(forge.FullName, issue, $"comment {i}", CancellationToken.None);
        }

        var comments = await client.ListCommentsAsync(forge.FullName, issue, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 55).Select(i => $"comment {i}"), comments.Select(c => c.Body));
        Assert.Single(forge.Calls, c => c.Method == "GET");
    }

    [Fact]
    public async Task FindPull_NoSuchPull_ReturnsNull()
    {
        var (forge, client) = await FakeAsync();

        Assert.Null(await client.FindPullAsync(forge.FullName, "dev/none", "main", CancellationToken.None));
    }

    [Fact]
    public async Task FindPull_BranchWithSlashes_FoundWithItsRepository()
    {
        var (forge, client) = await FakeAsync();
        await CommitOnBranchAsync(forge, "dev/issue-1");
        var opened = await client.CreateOrGetPullAsync(forge.FullName, "dev/issue-1", "main", "Fix", "Closes #1", CancellationToken.None);

        var found = await client.FindPullAsync(forge.FullName, "dev/issue-1", "main", CancellationToken.None);

        Assert.NotNull(found);
        Assert.Equal(opened.Number, found.Number);
        Assert.Equal(forge.FullName, found.Head.Repo?.FullName);
        Assert.Contains(forge.Calls, c => c.Method == "GET" && c.Path.EndsWith("/pulls/main/dev/issue-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CreateOrGetPull_AlreadyOpen_ReturnsTheOpenOne()
    {
        var (forge, client) = await FakeAsync();
        await CommitOnBranchAsync(forge, "dev/issue-1");
        var first = await client.CreateOrGetPullAsync(forge.FullName, "dev/issue-1", "main", "Fix", "", CancellationToken.None);

        var second = await client.CreateOrGetPullAsync(forge.FullName, "dev/issue-1", "main", "Fix", "", CancellationToken.None);

        Assert.Equal(first.Number, second.Number);
    }

    [Fact]
    public async Task Merge_502AfterApply_OutcomeUnknownAndThePullReadsMerged()
    {
        var (forge, client) = await FakeAsync();
        var head = await CommitOnBranchAsync(forge, "dev/issue-1");
        var pull = await client.CreateOrGetPullAsync(forge.FullName, "dev/issue-1", "main", "Fix", "", CancellationToken.None);
        forge.FailAfterApply.Add(ForgeWriteKind.Merge);

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.MergeAsync(forge.FullName, pull.Number, "squash", head, deleteBranch: true, CancellationToken.None));

        Assert.True(e.OutcomeUnknown);
        Assert.Single(forge.Calls, c => c.Method == "POST" && c.Path.EndsWith("/merge", StringComparison.Ordinal));
        var merged = await client.GetPullAsync(forge.FullName, pull.Number, CancellationToken.None);
        Assert.True(merged.Merged);
        Assert.Equal((await GitHttpServer.GitAsync(forge.BarePath, "rev-parse", "refs/heads/main")).Trim(), merged.MergeCommitSha);
        Assert.Equal(head, merged.Head.Sha);

        // delete_branch_after_merge took the head branch.
        Assert.False(await client.DeleteBranchAsync(forge.FullName, "dev/issue-1", CancellationToken.None));
    }

    [Fact]
    public async Task DeleteBranch_Exists_DeletesTheRefThenReportsItGone()
    {
        var (forge, client) = await FakeAsync();
        await CommitOnBranchAsync(forge, "dev/issue-2");

        Assert.True(await client.DeleteBranchAsync(forge.FullName, "dev/issue-2", CancellationToken.None));

        Assert.DoesNotContain("dev/issue-2", await GitHttpServer.GitAsync(forge.BarePath, "branch", "--list"), StringComparison.Ordinal);
        Assert.False(await client.DeleteBranchAsync(forge.FullName, "dev/issue-2", CancellationToken.None));
    }

    [Fact]
    public async Task DeleteBranch_DefaultBranch_Refused()
    {
        var (forge, client) = await FakeAsync();

        var e = await Assert.ThrowsAsync<ForgeApiException>(() => client.DeleteBranchAsync(forge.FullName, "main", CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.False(e.OutcomeUnknown);
    }

    private async Task<ScriptedForgeServer> ScriptedAsync(Func<Microsoft.AspNetCore.Http.HttpContext, int, Task> answer)
    {
        var server = await ScriptedForgeServer.StartAsync(answer);
        _servers.Add(server);
        return server;
    }

    private async Task<(FakeForgejo Forge, ForgejoClient Client)> FakeAsync()
    {
        var git = await GitHttpServer.StartAsync("127.0.0.1");
        _servers.Add(git);
        var forge = await FakeForgejo.StartAsync("127.0.0.1", git, Repo);
        _servers.Add(forge);
        await git.CreateRepositoryAsync(forge.Owner, Repo, new Dictionary<string, string> { ["README.md"] = "hello\n" });
        forge.AddUser("dev-bot", Token, "write");
        forge.AddUser("alice", "alice-token", "admin");
        return (forge, Client(forge.Url));
    }

    private ForgejoClient Client(Uri url, ForgeHttpOptions? options = null)
    {
        var services = new ServiceCollection();
        services.AddForgeHttpClient(options ?? Fast);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return new ForgejoClient(provider.GetRequiredService<IHttpClientFactory>().CreateClient(ForgeHttp.ClientName), url, Token);
    }

    /// <summary>Pushes one commit on a new branch of the fake's bare repository; returns its sha.</summary>
    private static async Task<string> CommitOnBranchAsync(FakeForgejo forge, string branch)
    {
        var work = Directory.CreateTempSubdirectory("forge-client-test-").FullName;
        try
        {
            await GitHttpServer.GitAsync(work, "clone", "-q", forge.BarePath, ".");
            await GitHttpServer.GitAsync(work, "checkout", "-q", "-b", branch);
            await File.WriteAllTextAsync(Path.Combine(work, "fix.txt"), branch + "\n");
            await GitHttpServer.GitAsync(work, "add", "fix.txt");
            await GitHttpServer.GitAsync(work, "-c", "user.name=dev", "-c", "user.email=dev@example.invalid", "commit", "-q", "-m", "fix");
            await GitHttpServer.GitAsync(work, "push", "-q", "origin", branch);
            return (await GitHttpServer.GitAsync(work, "rev-parse", "HEAD")).Trim();
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
