using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// The fake GitHub on its own, driven with raw HTTP and real git, so that the end-to-end tests run against GitHub's
/// contract: App JWTs and installation tokens, the refusals GitHub answers with, pagination, rate limits, signed
/// webhooks and token-checked git.
/// </summary>
public sealed class FakeGitHubTests : IAsyncLifetime
{
    private const string AliceToken = "github_pat_alice";
    private const string DevToken = "github_pat_dev";
    private const string Secret = "hook-secret";
    private readonly HttpListener _hooks = new();
    private readonly List<(HttpListenerRequest Request, byte[] Body)> _received = [];
    private GitHttpServer? _git;
    private FakeGitHub? _hub;
    private DateTimeOffset _now = DateTimeOffset.UtcNow;
    private Uri? _hookUrl;
    private int _hookPort;

    private FakeGitHub Hub => _hub!;

    public async Task InitializeAsync()
    {
        _git = await GitHttpServer.StartAsync("127.0.0.1");
        await _git.CreateRepositoryAsync("it-owner", "repo", new Dictionary<string, string> { ["README.md"] = "# repo\n" });
        _hub = await FakeGitHub.StartAsync("127.0.0.1", _git, "repo");
        Hub.AddUser("alice", AliceToken, "admin");
        Hub.AddUser("it-reviewer", "github_pat_reviewer", "write");
        Hub.AddUser("it-dev", DevToken, "write");
        Hub.RegisterApp(4242, "claude-dev");
        Hub.Clock = () => _now;
        Hub.WebhookSecret = Secret;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _hookPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var port = _hookPort;
        _hookUrl = new Uri($"http://127.0.0.1:{port}/webhook/github");
        _hooks.Prefixes.Add($"http://127.0.0.1:{port}/");
        _hooks.Start();
        _ = Task.Run(ReceiveAsync);
    }

    public async Task DisposeAsync()
    {
        _hooks.Close();
        await Hub.DisposeAsync();
        await _git!.DisposeAsync();
    }

    [Fact]
    public async Task App_JwtSignedByTheAppAndShortLived_IsAccepted_OthersAnswer401()
    {
        var app = Hub.App!;
        var now = DateTimeOffset.UtcNow;
        using var other = RSA.Create(2048);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync("app", "Bearer", app.Jwt(now.AddSeconds(-30), now.AddMinutes(9))));
        var installation = await (await Client("Bearer", app.Jwt(now.AddSeconds(-30), now.AddMinutes(9))).GetAsync($"repos/{Hub.FullName}/installation")).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(app.InstallationId, installation!["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("app", "Bearer", app.Jwt(now.AddSeconds(-30), now.AddMinutes(9), signer: other)));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("app", "Bearer", app.Jwt(now.AddSeconds(-30), now.AddMinutes(11))));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("app", "Bearer", app.Jwt(now.AddMinutes(-11), now.AddMinutes(-1))));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("app", "Bearer", app.Jwt(now.AddSeconds(-30), now.AddMinutes(9), issuer: "999")));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("app", "Bearer", AliceToken));
    }

    [Fact]
    public async Task InstallationToken_AfterItsLifetime_RestAndGitAnswer401BadCredentials()
    {
        Hub.InstallationTokenLifetime = TimeSpan.FromMinutes(10);
        var token = await MintAsync();
        Assert.StartsWith("ghs_", token["token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("selected", token["repository_selection"]!.GetValue<string>());
        Assert.Equal("write", token["permissions"]!["contents"]!.GetValue<string>());
        var secret = token["token"]!.GetValue<string>();
        var clone = Directory.CreateTempSubdirectory("fake-github-clone-").FullName;
        try
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync($"repos/{Hub.FullName}", "token", secret));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync("user", "token", secret));
            await GitHttpServer.GitAsync(clone, "clone", "-q", WithCredentials(Hub.CloneUrl, "x-access-token", secret), "a");
            Assert.Equal("claude-dev[bot]", Hub.GitLogins[^1]);

            _now = _now.AddMinutes(11);
            using var expired = await Client("token", secret).GetAsync($"repos/{Hub.FullName}");
            Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
            Assert.Equal("Bad credentials", (await expired.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
            await Assert.ThrowsAsync<InvalidOperationException>(() => GitHttpServer.GitAsync(clone, "clone", "-q", WithCredentials(Hub.CloneUrl, "x-access-token", secret), "b"));
            Assert.Single(Hub.MintedTokens);
        }
        finally
        {
            Directory.Delete(clone, recursive: true);
        }
    }

    [Fact]
    public async Task Git_WithAUserTokenUnderAnyName_ClonesAndPushes_AndMovesTheOpenPullRequestsHeadRef()
    {
        var work = Directory.CreateTempSubdirectory("fake-github-push-").FullName;
        try
        {
            await GitHttpServer.GitAsync(work, "clone", "-q", WithCredentials(Hub.CloneUrl, "whoever", DevToken), ".");
            await Assert.ThrowsAsync<InvalidOperationException>(() => GitHttpServer.GitAsync(work, "ls-remote", WithCredentials(Hub.CloneUrl, "x-access-token", "github_pat_wrong")));
            Assert.True(Hub.GitRefused > 0);
            var first = await PushAsync(work, "dev/issue-1", "one");
            using var created = await Client("token", DevToken).PostAsJsonAsync($"repos/{Hub.FullName}/pulls", new { title = "One", head = "dev/issue-1", @base = "main", body = "Closes #1" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var number = (await created.Content.ReadFromJsonAsync<JsonObject>())!["number"]!.GetValue<long>();
            Assert.Equal(first, (await GitHttpServer.GitAsync(Hub.BarePath, "rev-parse", $"refs/pull/{number}/head")).Trim());

            var second = await PushAsync(work, "dev/issue-1", "two");

            Assert.Equal(second, (await GitHttpServer.GitAsync(Hub.BarePath, "rev-parse", $"refs/pull/{number}/head")).Trim());
            var pull = await (await Client("token", DevToken).GetAsync($"repos/{Hub.FullName}/pulls/{number}")).Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal(second, pull!["head"]!["sha"]!.GetValue<string>());
            Assert.Equal("dev/issue-1", pull["head"]!["ref"]!.GetValue<string>());
            Assert.Contains("it-dev", Hub.GitLogins);
            var synchronize = Assert.Single(Hub.Deliveries, d => d.Event == "pull_request" && d.Action == "synchronize");
            var payload = JsonNode.Parse(synchronize.Body)!;
            Assert.Equal(first, payload["before"]!.GetValue<string>());
            Assert.Equal(second, payload["after"]!.GetValue<string>());
            Assert.Equal("it-dev", synchronize.Sender);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task CreatePull_WhenOneIsOpenForTheBranch_Answers422AlreadyExists()
    {
        await _git!.CommitAsync("it-owner", "repo", "dev/issue-7", new Dictionary<string, string> { ["a.txt"] = "a" }, "a");
        var client = Client("token", DevToken);
        using var first = await client.PostAsJsonAsync($"repos/{Hub.FullName}/pulls", new { title = "A", head = "dev/issue-7", @base = "main" });
        using var again = await client.PostAsJsonAsync($"repos/{Hub.FullName}/pulls", new { title = "A", head = "it-owner:dev/issue-7", @base = "main" });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal((HttpStatusCode)422, again.StatusCode);
        var error = await again.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("Validation Failed", error!["message"]!.GetValue<string>());
        Assert.Equal("A pull request already exists for it-owner:dev/issue-7.", error["errors"]![0]!["message"]!.GetValue<string>());
        var listed = await (await client.GetAsync($"repos/{Hub.FullName}/pulls?head=it-owner:dev/issue-7&state=open")).Content.ReadFromJsonAsync<JsonArray>();
        Assert.Single(listed!);
        var none = await (await client.GetAsync($"repos/{Hub.FullName}/pulls?head=it-owner:dev/other")).Content.ReadFromJsonAsync<JsonArray>();
        Assert.Empty(none!);
    }

    [Fact]
    public async Task Merge_WithAnotherSha_Answers409_WithTheHead_MergesAndSendsTheClosedWebhookSigned()
    {
        Hub.WebhookUrl = _hookUrl;
        var head = await _git!.CommitAsync("it-owner", "repo", "dev/issue-3", new Dictionary<string, string> { ["b.txt"] = "b" }, "b");
        var dev = Client("token", DevToken);
        using var created = await dev.PostAsJsonAsync($"repos/{Hub.FullName}/pulls", new { title = "B", head = "dev/issue-3", @base = "main" });
        var number = (await created.Content.ReadFromJsonAsync<JsonObject>())!["number"]!.GetValue<long>();
        using var own = await dev.PostAsJsonAsync($"repos/{Hub.FullName}/pulls/{number}/reviews", new { @event = "APPROVE", commit_id = head });
        Assert.Equal((HttpStatusCode)422, own.StatusCode);
        Hub.Approve(number, "it-reviewer");
        var alice = Client("token", AliceToken);

        using var stale = await alice.PutAsJsonAsync($"repos/{Hub.FullName}/pulls/{number}/merge", new { sha = new string('a', 40), merge_method = "merge" });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal("Head branch was modified. Review and try the merge again.", (await stale.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
        using var merged = await alice.PutAsJsonAsync($"repos/{Hub.FullName}/pulls/{number}/merge", new { sha = head, merge_method = "merge" });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        using var twice = await alice.PutAsJsonAsync($"repos/{Hub.FullName}/pulls/{number}/merge", new { sha = head });
        Assert.Equal(HttpStatusCode.MethodNotAllowed, twice.StatusCode);
        using var deleted = await alice.DeleteAsync($"repos/{Hub.FullName}/git/refs/heads/dev/issue-3");
        using var gone = await alice.DeleteAsync($"repos/{Hub.FullName}/git/refs/heads/dev/issue-3");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal((HttpStatusCode)422, gone.StatusCode);
        Assert.True(Hub.IsMerged(number));
        Assert.Contains("b.txt", await GitHttpServer.GitAsync(Hub.BarePath, "ls-tree", "--name-only", "main"), StringComparison.Ordinal);
        var (request, body) = await ReceivedAsync(r => r.Request.Headers["X-GitHub-Event"] == "pull_request" && JsonNode.Parse(r.Body)!["action"]!.GetValue<string>() == "closed");
        Assert.Equal(Hub.Sign(body), request.Headers["X-Hub-Signature-256"]);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body)), request.Headers["X-Hub-Signature-256"]);
        Assert.True(Guid.TryParse(request.Headers["X-GitHub-Delivery"], out _));
        Assert.StartsWith("GitHub-Hookshot/", request.UserAgent, StringComparison.Ordinal);
        Assert.Equal(Hub.HookId.ToString(System.Globalization.CultureInfo.InvariantCulture), request.Headers["X-GitHub-Hook-ID"]);
        var payload = JsonNode.Parse(body)!;
        Assert.True(payload["pull_request"]!["merged"]!.GetValue<bool>());
        Assert.Equal("alice", payload["sender"]!["login"]!.GetValue<string>());
        Assert.Equal(Hub.FullName, payload["repository"]!["full_name"]!.GetValue<string>());
        var review = await ReceivedAsync(r => r.Request.Headers["X-GitHub-Event"] == "pull_request_review");
        Assert.Equal("approved", JsonNode.Parse(review.Body)!["review"]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Assign_ByAnInstallationToken_SendsAssignedWithTopLevelAssignee_FromTheBot()
    {
        Hub.WebhookUrl = _hookUrl;
        var issue = Hub.CreateIssue("Title", "Body", "alice");
        var token = (await MintAsync())["token"]!.GetValue<string>();
        using var assigned = await Client("token", token).PatchAsJsonAsync($"repos/{Hub.FullName}/issues/{issue}", new { assignees = new[] { "it-dev" } });

        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        var (_, body) = await ReceivedAsync(r => r.Request.Headers["X-GitHub-Event"] == "issues");
        var payload = JsonNode.Parse(body)!;
        Assert.Equal("assigned", payload["action"]!.GetValue<string>());
        Assert.Equal("it-dev", payload["assignee"]!["login"]!.GetValue<string>());
        Assert.Equal("claude-dev[bot]", payload["sender"]!["login"]!.GetValue<string>());
        Assert.Equal("Bot", payload["sender"]!["type"]!.GetValue<string>());
        Assert.Equal(Hub.App!.InstallationId, payload["installation"]!["id"]!.GetValue<long>());
        var timeline = await (await Client("token", AliceToken).GetAsync($"repos/{Hub.FullName}/issues/{issue}/timeline")).Content.ReadFromJsonAsync<JsonArray>();
        Assert.Equal("assigned", timeline![0]!["event"]!.GetValue<string>());
        Assert.Equal("claude-dev[bot]", timeline[0]!["actor"]!["login"]!.GetValue<string>());
    }

    [Fact]
    public async Task PatchAssignees_NamingTheAppsBot_DropsItSilently_UnlessBotsAreAssignable()
    {
        var issue = Hub.CreateIssue("Title", "Body", "alice");
        var alice = Client("token", AliceToken);
        using var dropped = await alice.PatchAsJsonAsync($"repos/{Hub.FullName}/issues/{issue}", new { assignees = new[] { "claude-dev[bot]" } });
        Hub.BotsAssignable = true;
        using var taken = await alice.PatchAsJsonAsync($"repos/{Hub.FullName}/issues/{issue}", new { assignees = new[] { "claude-dev[bot]" } });

        Assert.Equal(HttpStatusCode.OK, dropped.StatusCode);
        Assert.Empty((await dropped.Content.ReadFromJsonAsync<JsonObject>())!["assignees"]!.AsArray());
        Assert.Equal("Bot", (await taken.Content.ReadFromJsonAsync<JsonObject>())!["assignees"]![0]!["type"]!.GetValue<string>());
        Assert.Single(Hub.Deliveries, d => d.Event == "issues" && d.Action == "assigned");
    }

    [Fact]
    public async Task Issues_PerPage_AreLinkPaged_AndIncludePullRequestsWithTheirKey()
    {
        for (var i = 0; i < 4; i++)
        {
            Hub.CreateIssue($"Issue {i}", "", "alice");
        }

        await _git!.CommitAsync("it-owner", "repo", "dev/x", new Dictionary<string, string> { ["x"] = "x" }, "x");
        using (await Client("token", DevToken).PostAsJsonAsync($"repos/{Hub.FullName}/pulls", new { title = "X", head = "dev/x", @base = "main" }))
        {
        }

        var client = Client("token", AliceToken);
        using var first = await client.GetAsync($"repos/{Hub.FullName}/issues?state=open&per_page=2");
        using var last = await client.GetAsync($"repos/{Hub.FullName}/issues?state=open&per_page=2&page=3");

        var link = first.Headers.GetValues("Link").Single();
        Assert.Contains("page=2>; rel=\"next\"", link, StringComparison.Ordinal);
        Assert.Contains("page=3>; rel=\"last\"", link, StringComparison.Ordinal);
        Assert.Contains("per_page=2", link, StringComparison.Ordinal);
        var firstPage = await first.Content.ReadFromJsonAsync<JsonArray>();
        Assert.Equal(2, firstPage!.Count);
        Assert.NotNull(firstPage[0]!["pull_request"]);
        Assert.Equal(5, firstPage[0]!["number"]!.GetValue<long>());
        Assert.Single((await last.Content.ReadFromJsonAsync<JsonArray>())!);
        Assert.DoesNotContain("rel=\"next\"", last.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimitNext_RefusesThatManyCalls_AsGitHubDoes_ThenAnswers()
    {
        var client = Client("token", AliceToken);
        Hub.RateLimitNext(1, GitHubRateLimit.Primary);
        using var primary = await client.GetAsync($"repos/{Hub.FullName}");
        Hub.RateLimitNext(1, GitHubRateLimit.TooManyRequests);
        using var secondary = await client.GetAsync($"repos/{Hub.FullName}");
        using var after = await client.GetAsync($"repos/{Hub.FullName}");

        Assert.Equal(HttpStatusCode.Forbidden, primary.StatusCode);
        Assert.Equal("0", primary.Headers.GetValues("x-ratelimit-remaining").Single());
        Assert.True(long.Parse(primary.Headers.GetValues("x-ratelimit-reset").Single(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal((HttpStatusCode)429, secondary.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), secondary.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task CollaboratorPermission_NamesTheOldLevelAndTheRole()
    {
        Hub.AddUser("tri", "github_pat_tri", "triage");
        var answer = await (await Client("token", AliceToken).GetAsync($"repos/{Hub.FullName}/collaborators/tri/permission")).Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal("read", answer!["permission"]!.GetValue<string>());
        Assert.Equal("triage", answer["role_name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync($"repos/{Hub.FullName}/collaborators/nobody/permission", "token", AliceToken));
    }

    private async Task<JsonObject> MintAsync()
    {
        var now = DateTimeOffset.UtcNow;
        using var minted = await Client("Bearer", Hub.App!.Jwt(now.AddSeconds(-30), now.AddMinutes(9))).PostAsJsonAsync($"app/installations/{Hub.App.InstallationId}/access_tokens", new { repositories = new[] { "repo" } });
        Assert.Equal(HttpStatusCode.Created, minted.StatusCode);
        return (await minted.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<string> PushAsync(string work, string branch, string content)
    {
        await File.WriteAllTextAsync(Path.Combine(work, "f.txt"), content);
        await GitHttpServer.GitAsync(work, "add", "-A");
        await GitHttpServer.GitAsync(work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", content);
        await GitHttpServer.GitAsync(work, "push", "-q", "origin", $"HEAD:refs/heads/{branch}");
        return (await GitHttpServer.GitAsync(work, "rev-parse", "HEAD")).Trim();
    }

    private static string WithCredentials(string url, string user, string password) => url.Replace("http://", $"http://{Uri.EscapeDataString(user)}:{password}@", StringComparison.Ordinal);

    private HttpClient Client(string scheme, string token)
    {
        var client = new HttpClient { BaseAddress = Hub.ApiUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, token);
        return client;
    }

    private async Task<HttpStatusCode> StatusAsync(string path, string scheme, string token)
    {
        using var response = await Client(scheme, token).GetAsync(path);
        return response.StatusCode;
    }

    private async Task ReceiveAsync()
    {
        while (_hooks.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _hooks.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var buffer = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(buffer);
            lock (_received)
            {
                _received.Add((context.Request, buffer.ToArray()));
            }

            context.Response.StatusCode = 202;
            context.Response.Close();
        }
    }

    private async Task<(HttpListenerRequest Request, byte[] Body)> ReceivedAsync(Func<(HttpListenerRequest Request, byte[] Body), bool> match)
    {
        for (var i = 0; i < 100; i++)
        {
            lock (_received)
            {
                if (_received.FirstOrDefault(match) is { Body: not null } found)
                {
                    return found;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no such delivery arrived");
    }
}
