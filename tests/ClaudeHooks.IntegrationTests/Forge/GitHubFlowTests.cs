using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Forge;

/// <summary>
/// The service against the fake GitHub (REST under <c>/api/v3</c> as GHES serves it, real git remote checked by token,
/// signed webhooks to <c>/webhook/github</c>), with the real CLI in the agent containers answering from the scripted
/// model. The lead acts as a GitHub App (<c>claude-lead[bot]</c>, installation tokens minted by the service) and
/// merges; the dev and the reviewer use fine-grained tokens, since GitHub assigns issues and requests reviews of user
/// accounts only. The fake has a git server of its own, so its credential checks never reach another test's.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class GitHubFlowTests(DockerFixture fixture) : IAsyncLifetime
{
    private const string Bot = "claude-lead[bot]";
    private const string Dev = "it-dev";
    private const long AppId = 31337;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    /// <summary>
    /// The fake's clock runs this far ahead of the service's, so that a token the service may still use by its own rule
    /// (until five minutes before the <c>expires_at</c> it was given) is exactly one GitHub has not yet expired: a token
    /// used after that answers 401, as an hour-old one does.
    /// </summary>
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-github-").FullName;
    private GitHttpServer? _git;
    private FakeGitHub? _hub;
    private ServiceProcess? _service;

    private FakeGitHub Hub => _hub!;

    private ServiceProcess Service => _service!;

    public async Task InitializeAsync()
    {
        if (fixture.SkipReason is not null)
        {
            return;
        }

        var repo = "gh-" + Guid.NewGuid().ToString("N")[..8];
        _git = await GitHttpServer.StartAsync(fixture.Git.Host);
        await _git.CreateRepositoryAsync("it-owner", repo, new Dictionary<string, string> { ["README.md"] = "# flow\n" });
        _hub = await FakeGitHub.StartAsync(_git.Host, _git, repo);
        foreach (var (agent, login, role) in new[] { ("dev", Dev, "write"), ("reviewer", "it-reviewer", "write") })
        {
            Hub.AddUser(login, File.ReadAllText(Path.Combine(fixture.Home, "tokens", agent)).Trim(), role);
        }

        Hub.AddUser("alice", "github_pat_alice", "admin");
        var app = Hub.RegisterApp(AppId, "claude-lead");
        Hub.Clock = () => DateTimeOffset.UtcNow + RefreshMargin;
        Hub.InstallationTokenLifetime = TimeSpan.FromSeconds(90);
        var keyFile = $"github-app/{repo}.pem";
        AgentSandbox.WriteSecret(Path.Combine(fixture.Home, keyFile), app.PrivateKeyPem);
        Hub.WebhookSecret = "webhook-secret-" + repo;
        AgentSandbox.WriteSecret(Path.Combine(fixture.Home, "webhooks", repo), Hub.WebhookSecret);

        var config = JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile))!.AsObject();
        var lead = config["agents"]!["boss"]!.AsObject();
        lead["forge_user"] = Bot;
        lead["github_app"] = new JsonObject { ["app_id"] = AppId, ["private_key_file"] = keyFile };
        config["forge"] = new JsonObject
        {
            ["public_url"] = "http://claude-hooks.test:8080",
            ["reconcile_interval"] = "2s",
            ["max_webhook_bytes"] = 262144,
            ["repositories"] = new JsonObject
            {
                [Hub.FullName] = new JsonObject
                {
                    ["kind"] = "github",
                    ["url"] = Hub.Url.ToString(),
                    ["api_url"] = Hub.ApiUrl.ToString(),
                    ["clone_url"] = Hub.CloneUrl,
                    ["webhook_secret_file"] = $"webhooks/{repo}",
                    ["authorized_users"] = new JsonArray("alice"),
                    ["merge_style"] = "merge",
                },
            },
        };
        var configFile = Path.Combine(fixture.Home, $"github-{repo}.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString());
        _service = await ServiceProcess.StartAsync(configFile, fixture.Home, _data, ServiceProcess.FreePort());
        Hub.WebhookUrl = new Uri(Service.BaseUrl, "webhook/github");
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        if (_hub is not null)
        {
            await _hub.DisposeAsync();
        }

        if (_git is not null)
        {
            await _git.DisposeAsync();
        }

        fixture.Model.Reset();
        Directory.Delete(_data, recursive: true);
    }

    [SkippableFact]
    public async Task AssignedIssue_RunsTheWholeFlowOnGitHub_ToAMergedPullRequest_WithATokenMintedPerTask()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var issue = Hub.CreateIssue("Add a greeting", "Please add greeting.txt.", "alice");
        fixture.Model.EnqueueFor("is assigned to you",
            ScriptedTurn.Bash("echo hello > greeting.txt && git add greeting.txt && git commit -qm 'Add greeting' && echo ok"),
            ScriptedTurn.Text("Added greeting.txt."));
        fixture.Model.EnqueueFor("Review pull request",
            ScriptedTurn.Text("Needs a test.\n```json\n{\"verdict\":\"request_changes\",\"body\":\"Please add a test.\",\"comments\":[{\"path\":\"greeting.txt\",\"line\":1,\"body\":\"untested\"}]}\n```"),
            ScriptedTurn.Text("Good now.\n```json\n{\"verdict\":\"approve\",\"body\":\"Looks good.\"}\n```"));
        fixture.Model.EnqueueFor("asked for changes",
            ScriptedTurn.Bash("echo check > greeting.test && git add greeting.test && git commit -qm 'Add a test' && echo ok"),
            ScriptedTurn.Text("Added a test for the greeting."));

        using (var assign = await AsAlice().PatchAsJsonAsync($"repos/{Hub.FullName}/issues/{issue}", new { assignees = new[] { Dev } }, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, assign.StatusCode);
        }

        var tasks = await WaitForAsync(async () =>
        {
            var list = await ListTasksAsync(cts.Token);
            return list.Count(t => t.GetProperty("state").GetString() == "succeeded") >= 5 || list.Any(t => t.GetProperty("state").GetString() is "failed" or "cancelled" or "timed_out") ? list : null;
        }, cts.Token);

        foreach (var ended in tasks.Where(t => t.GetProperty("state").GetString() != "succeeded"))
        {
            Assert.Fail($"task {ended.GetProperty("id")} ended {ended.GetProperty("state")}: {(await GetTaskAsync(ended.GetProperty("id").GetString()!, cts.Token)).GetProperty("history")}\n{Service.Log}");
        }

        var ordered = tasks.OrderBy(t => t.GetProperty("created_at").GetDateTimeOffset()).ToList();
        Assert.Equal(["dev", "reviewer", "dev", "reviewer", "boss"], ordered.Select(t => t.GetProperty("agent").GetString()));

        // The GitHub calls that carry the flow, in order, each by the account that should make it.
        var pr = Assert.Single(Hub.Pulls).Number;
        var flow = Hub.Calls.Where(c => (c.Method == "POST" && (c.Path.EndsWith("/pulls", StringComparison.Ordinal) || c.Path.EndsWith("/requested_reviewers", StringComparison.Ordinal) || c.Path.EndsWith("/reviews", StringComparison.Ordinal))) || (c.Method == "PUT" && c.Path.EndsWith("/merge", StringComparison.Ordinal)))
            .Where(c => c.RateLimited is null)
            .Select(c => $"{c.User} {c.Method} {c.Path[(c.Path.IndexOf(Hub.FullName, StringComparison.Ordinal) + Hub.FullName.Length)..]}{(c.Path.EndsWith("/reviews", StringComparison.Ordinal) ? " " + JsonNode.Parse(c.Body)!["event"] : "")}")
            .ToList();
        Assert.Equal(
            [
                $"{Dev} POST /pulls", $"{Dev} POST /pulls/{pr}/requested_reviewers", $"it-reviewer POST /pulls/{pr}/reviews REQUEST_CHANGES",
                $"{Dev} POST /pulls/{pr}/requested_reviewers", $"it-reviewer POST /pulls/{pr}/reviews APPROVE", $"{Bot} PUT /pulls/{pr}/merge",
            ],
            flow);

        // Reviews name the commit they reviewed; the inline comment is by line and side; the merge names the head it approved.
        var firstReview = JsonNode.Parse(Hub.Calls.First(c => c.Method == "POST" && c.Path.EndsWith("/reviews", StringComparison.Ordinal)).Body)!;
        Assert.Equal(40, firstReview["commit_id"]!.GetValue<string>().Length);
        Assert.Equal("greeting.txt", firstReview["comments"]![0]!["path"]!.GetValue<string>());
        Assert.Equal(1, firstReview["comments"]![0]!["line"]!.GetValue<long>());
        var merge = JsonNode.Parse(Hub.Calls.Last(c => c.Method == "PUT" && c.Path.EndsWith("/merge", StringComparison.Ordinal)).Body)!;
        Assert.Equal(Hub.ReviewsOn(pr)[^1].CommitId, merge["sha"]!.GetValue<string>());
        Assert.Equal("merge", merge["merge_method"]!.GetValue<string>());
        Assert.True(Hub.IsMerged(pr));

        // One tracking comment per task, edited rather than duplicated.
        foreach (var task in tasks)
        {
            var id = task.GetProperty("id").GetString()!;
            var tracking = Hub.CommentsOn(issue).Concat(Hub.CommentsOn(pr)).Where(c => c.Body.Contains($"<!-- claude-hooks:track:{id} -->", StringComparison.Ordinal)).ToList();
            Assert.True(tracking.Count == 1, $"task {id} has {tracking.Count} tracking comments");
            Assert.Contains("✅", tracking[0].Body, StringComparison.Ordinal);
        }

        // The dev's fix resumed the session of its first run, in the same worktree.
        var implement = await GetTaskAsync(ordered[0].GetProperty("id").GetString()!, cts.Token);
        var fix = await GetTaskAsync(ordered[2].GetProperty("id").GetString()!, cts.Token);
        Assert.True(fix.GetProperty("outcome").GetProperty("resumed").GetBoolean());
        Assert.Equal(implement.GetProperty("outcome").GetProperty("session_id").GetString(), fix.GetProperty("outcome").GetProperty("session_id").GetString());

        // Merged on the remote; the dev and the reviewer reached git with their own tokens through the gateway.
        var files = await GitHttpServer.GitAsync(Hub.BarePath, "ls-tree", "--name-only", "main");
        Assert.Contains("greeting.txt", files, StringComparison.Ordinal);
        Assert.Contains("greeting.test", files, StringComparison.Ordinal);
        Assert.Contains(Dev, Hub.GitLogins);
        Assert.Contains("it-reviewer", Hub.GitLogins);

        // The lead's calls went with installation tokens the service minted from the App's key (an RS256 JWT), none
        // used once GitHub had expired it: no call and no git request was refused for its credentials.
        Assert.NotEmpty(Hub.MintedTokens);
        Assert.Contains(Hub.Calls, c => c.User == Bot && c.Method == "PUT" && c.Path.EndsWith("/merge", StringComparison.Ordinal));
        Assert.Empty(Hub.Calls.Where(c => c.User is null && c.RateLimited is null).Select(c => $"{c.Method} {c.Path}"));
        Assert.Equal(0, Hub.GitRefused);

        // The webhooks the agents' own calls caused (the App's merge among them) were delivered and led to nothing more.
        Assert.Contains(Hub.Deliveries, d => d.Sender == Bot && d.SenderType == "Bot" && d.Event == "pull_request" && d.Action == "closed");
        Assert.Contains(Hub.Deliveries, d => d.Sender == Dev && d.Event == "pull_request" && d.Action == "review_requested");
        Assert.Contains(Hub.Deliveries, d => d.Sender == "it-reviewer" && d.Event == "pull_request_review");
        Assert.Equal(5, (await ListTasksAsync(cts.Token)).Count);
    }

    [SkippableFact]
    public async Task DroppedAssignment_IsPickedUpByTheBackstop_ExactlyOnce()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        Hub.DropWebhooks = true;
        var issue = Hub.CreateIssue("Dropped", "Please do it.", "alice");
        fixture.Model.EnqueueFor("is assigned to you", ScriptedTurn.Text("Nothing to change."));
        using (var assign = await AsAlice().PatchAsJsonAsync($"repos/{Hub.FullName}/issues/{issue}", new { assignees = new[] { Dev } }, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, assign.StatusCode);
        }

        var tasks = await WaitForAsync(async () => await ListTasksAsync(cts.Token) is { Count: > 0 } list ? list : null, cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(7), cts.Token);

        Assert.Single(await ListTasksAsync(cts.Token));
        Assert.Equal("dev", tasks[0].GetProperty("agent").GetString());
        Assert.Equal($"issue-{issue}", tasks[0].GetProperty("thread").GetString());
        var detail = await GetTaskAsync(tasks[0].GetProperty("id").GetString()!, cts.Token);
        Assert.Contains(detail.GetProperty("history").EnumerateArray(), h => h.GetProperty("reason").GetString()!.StartsWith("queued by backstop", StringComparison.Ordinal));
        Assert.Contains(Hub.Deliveries, d => d.Event == "issues" && d.Action == "assigned");
    }

    [SkippableFact]
    public async Task Webhook_WithABadSignature_IsRefused_AndTheSignedOneQueuesOneTask()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var url = Hub.WebhookUrl;
        Hub.WebhookUrl = null;
        var issue = Hub.CreateIssue("Signed", "text", "alice");
        Hub.Assign(issue, Dev, "alice");
        Hub.WebhookUrl = url;
        var delivery = Hub.Deliveries.Single(d => d.Event == "issues" && d.Action == "assigned");
        fixture.Model.EnqueueFor("is assigned to you", ScriptedTurn.Text("Nothing to change."));

        Assert.Equal(HttpStatusCode.Unauthorized, (await Hub.SendAsync(delivery, signature: "sha256=" + new string('0', 64))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Hub.SendAsync(delivery with { Body = [.. delivery.Body, (byte)' '] }, signature: Hub.Sign(delivery.Body))).StatusCode);
        Assert.Empty(await ListTasksAsync(cts.Token));
        Assert.True((await Hub.SendAsync(delivery)).IsSuccessStatusCode);
        Assert.True((await Hub.SendAsync(delivery)).IsSuccessStatusCode);

        var tasks = await WaitForAsync(async () => await ListTasksAsync(cts.Token) is { Count: > 0 } list ? list : null, cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(3), cts.Token);
        Assert.Single(await ListTasksAsync(cts.Token));
        Assert.Equal("dev", tasks[0].GetProperty("agent").GetString());
    }

    private HttpClient AsAlice()
    {
        var client = new HttpClient { BaseAddress = Hub.ApiUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "github_pat_alice");
        return client;
    }

    private async Task<List<JsonElement>> ListTasksAsync(CancellationToken cancellationToken) =>
        [.. (await Service.Client.GetFromJsonAsync<JsonElement>("tasks?limit=100", cancellationToken)).GetProperty("tasks").EnumerateArray()];

    private async Task<JsonElement> GetTaskAsync(string id, CancellationToken cancellationToken) =>
        await Service.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cancellationToken);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            if (await probe() is { } result)
            {
                return result;
            }

            await Task.Delay(300, cancellationToken);
        }
    }
}
