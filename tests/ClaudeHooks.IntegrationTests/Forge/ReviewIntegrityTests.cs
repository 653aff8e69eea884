using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Forge;

/// <summary>
/// A review stands for the exact commit it read, and only the service's own review leads to a merge: a fork's pull
/// request is reviewed at the fork's head even on a branch named like the base's default one, a head that moves
/// before or during a review gets a review of its own, and an approval posted with the reviewer's token outside a
/// review task merges nothing. The service against the fake Forgejo (real git, signed webhooks), with the real CLI
/// in the agents' sandboxes answering from the scripted model.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ReviewIntegrityTests(DockerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-integrity-").FullName;
    private FakeForgejo? _forge;
    private ServiceProcess? _service;

    private FakeForgejo Forge => _forge!;

    private ServiceProcess Service => _service!;

    private Uri WebhookUrl => new(Service.BaseUrl, "webhook/forgejo");

    public async Task InitializeAsync()
    {
        if (fixture.SkipReason is not null)
        {
            return;
        }

        var repo = "integrity-" + Guid.NewGuid().ToString("N")[..8];
        var cloneUrl = await fixture.Git.CreateRepositoryAsync("it-owner", repo, new Dictionary<string, string> { ["README.md"] = "# integrity\n" });
        fixture.Git.RequiredToken = null;
        _forge = await FakeForgejo.StartAsync(fixture.Git.Host, fixture.Git, repo);
        foreach (var (agent, login) in new[] { ("boss", "it-lead"), ("dev", "it-dev"), ("reviewer", "it-reviewer") })
        {
            Forge.AddUser(login, Token(agent), "write");
        }

        Forge.AddUser("alice", "alice-token", "write");
        Forge.WebhookSecret = "webhook-secret-" + repo;
        AgentSandbox.WriteSecret(Path.Combine(fixture.Home, "webhooks", repo), Forge.WebhookSecret);

        var config = JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile))!.AsObject();
        config["forge"] = new JsonObject
        {
            ["public_url"] = "http://claude-hooks.test:8080",
            ["reconcile_interval"] = "2s",
            ["repositories"] = new JsonObject
            {
                [Forge.FullName] = new JsonObject
                {
                    ["url"] = Forge.Url.ToString(),
                    ["clone_url"] = cloneUrl,
                    ["webhook_secret_file"] = $"webhooks/{repo}",
                    ["authorized_users"] = new JsonArray("alice"),
                    ["merge_style"] = "merge",
                },
            },
        };
        var configFile = Path.Combine(fixture.Home, $"forge-{repo}.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString());
        _service = await ServiceProcess.StartAsync(configFile, fixture.Home, _data, ServiceProcess.FreePort());
        Forge.WebhookUrl = WebhookUrl;
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        if (_forge is not null)
        {
            await _forge.DisposeAsync();
        }

        fixture.Model.Reset();
        Directory.Delete(_data, recursive: true);
    }

    [SkippableFact]
    public async Task ForkPullRequestOnABranchNamedMain_IsReviewedAtTheForksHead_NotAtTheBasesMain()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await Forge.CreateForkAsync("alice");
        var forkHead = await fixture.Git.CommitAsync("alice", Forge.Repo, "main", new Dictionary<string, string> { ["fork-only.txt"] = "written in the fork of alice\n" }, "Add fork-only.txt");
        var baseMain = await RefAsync(Forge.BarePath, "refs/heads/main");
        var pr = await OpenPullAsync("alice", "alice:main", "From the fork", cts.Token);

        // As Forgejo: the pull request names the fork, and the base repository keeps the fork's head at its pull ref.
        var pull = await ForgeAs("alice").GetFromJsonAsync<JsonElement>($"api/v1/repos/{Forge.FullName}/pulls/{pr}", cts.Token);
        Assert.Equal("main", pull.GetProperty("head").GetProperty("ref").GetString());
        Assert.Equal(forkHead, pull.GetProperty("head").GetProperty("sha").GetString());
        Assert.Equal($"alice/{Forge.Repo}", pull.GetProperty("head").GetProperty("repo").GetProperty("full_name").GetString());
        Assert.Equal(forkHead, await RefAsync(Forge.BarePath, $"refs/pull/{pr}/head"));

        fixture.Model.EnqueueFor(forkHead,
            ScriptedTurn.Bash("git rev-parse HEAD && cat fork-only.txt"),
            new ComputedTurn(body => ScriptedTurn.Text(Verdict("comment", "Checked out:\n" + LastToolResult(body)))));
        await RequestReviewAsync("alice", pr, cts.Token);

        var review = (await WaitForAsync(() => Task.FromResult(PostedReviews() is { Count: > 0 } posted ? posted : null), cts.Token))[0];
        var task = await WaitForTaskAsync(t => Agent(t) == "reviewer" && Ended(t), cts.Token);

        // What the reviewer read (its checkout's HEAD and the fork's file) is what the review says, for the fork's head.
        var posted = review["body"]!.GetValue<string>();
        Assert.Contains(forkHead, posted, StringComparison.Ordinal);
        Assert.Contains("written in the fork of alice", posted, StringComparison.Ordinal);
        Assert.DoesNotContain(baseMain, posted, StringComparison.Ordinal);
        Assert.Equal(forkHead, review["commit_id"]!.GetValue<string>());
        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        var detail = await DetailAsync(task, cts.Token);
        Assert.Equal($"refs/pull/{pr}/head", detail.GetProperty("base_ref").GetString());
        Assert.Equal(forkHead, detail.GetProperty("base_commit").GetString());
        Assert.Equal(baseMain, await RefAsync(Forge.BarePath, "refs/heads/main"));
    }

    [SkippableFact]
    public async Task HeadMovesBeforeTheReviewStarts_TheOldHeadIsRefused_AndOnlyTheNewHeadIsReviewedAndMerged()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var first = await CommitAsync("feature/moving", "moving.txt", "one\n");
        var pr = await OpenPullAsync("it-dev", "feature/moving", "Moving head", cts.Token);

        // The review request's webhook arrives only after the head has moved, as a late delivery would.
        Forge.WebhookUrl = null;
        await RequestReviewAsync("alice", pr, cts.Token);
        var request = Forge.Deliveries.Last(d => d.EventType == "pull_request_review_request");
        var second = await CommitAsync("feature/moving", "moving.txt", "two\n");
        Assert.Equal(second, await RefAsync(Forge.BarePath, $"refs/pull/{pr}/head"));
        Assert.Equal(first, JsonNode.Parse(request.Body)!["pull_request"]!["head"]!["sha"]!.GetValue<string>());
        fixture.Model.EnqueueFor(second, ScriptedTurn.Bash("git rev-parse HEAD"), ScriptedTurn.Text(Verdict("approve", "Good at the second version.")));
        Forge.WebhookUrl = WebhookUrl;
        Assert.Equal(HttpStatusCode.Accepted, (await Forge.SendAsync(request)).StatusCode);

        // Until the merge ends, or at once should anything be posted for the old head.
        var tasks = await WaitForAsync(async () => await ListTasksAsync(cts.Token) is var list
            && (list.Any(t => Agent(t) == "boss" && Ended(t)) || PostedReviews().Any(r => r["commit_id"]?.GetValue<string>() == first)) ? list : null, cts.Token);

        var old = tasks.Single(t => Agent(t) == "reviewer" && Thread(t) == $"pr-{pr}-{first[..8]}");
        Assert.Equal("failed", old.GetProperty("state").GetString());
        Assert.Contains(await HistoryAsync(old, cts.Token), r => r.StartsWith("the head moved", StringComparison.Ordinal));
        var current = tasks.Single(t => Agent(t) == "reviewer" && Thread(t) == $"pr-{pr}-{second[..8]}");
        Assert.Equal("succeeded", current.GetProperty("state").GetString());
        Assert.StartsWith(second, LastToolResult(fixture.Model.ConversationRequests.Last(r => r.Body.Contains(second, StringComparison.Ordinal)).Body), StringComparison.Ordinal);

        // Nothing was posted for the old head; the new head's approval is what the merge stands on.
        Assert.Equal([("APPROVED", second)], PostedReviews().Select(r => (r["event"]!.GetValue<string>(), r["commit_id"]!.GetValue<string>())));
        Assert.Equal([second], MergeCalls().Select(c => JsonNode.Parse(c.Body)!["head_commit_id"]!.GetValue<string>()));
        Assert.Equal("succeeded", tasks.Single(t => Agent(t) == "boss").GetProperty("state").GetString());
        Assert.Equal("two\n", await GitHttpServer.GitAsync(Forge.BarePath, "show", "main:moving.txt"));
    }

    [SkippableFact]
    public async Task HeadMovesDuringTheReview_TheVerdictStandsForTheReviewedCommitOnly_AndTheNewHeadIsReviewedBeforeAnyMerge()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var first = await CommitAsync("feature/during", "during.txt", "one\n");
        var pr = await OpenPullAsync("it-dev", "feature/during", "Moves during its review", cts.Token);
        var held = new HeldTurn(ScriptedTurn.Bash("git rev-parse HEAD"));
        fixture.Model.EnqueueFor(first, held, ScriptedTurn.Text(Verdict("approve", "Good at the first version.")));
        await RequestReviewAsync("alice", pr, cts.Token);

        // The reviewer has its checkout and is waiting for the model: the head moves now.
        await held.Reached.WaitAsync(cts.Token);
        var second = await CommitAsync("feature/during", "during.txt", "two\n");
        fixture.Model.EnqueueFor(second, ScriptedTurn.Text(Verdict("approve", "Good at the second version.")));
        held.Release();

        var tasks = await WaitForAsync(async () => await ListTasksAsync(cts.Token) is var list && list.Any(t => Agent(t) == "boss" && Ended(t)) ? list : null, cts.Token);

        // The first review read the first head and says so; its approval led to no merge.
        Assert.StartsWith(first, LastToolResult(fixture.Model.ConversationRequests.Last(r => r.Body.Contains(first, StringComparison.Ordinal)).Body), StringComparison.Ordinal);
        Assert.Equal([("APPROVED", first), ("APPROVED", second)], PostedReviews().Select(r => (r["event"]!.GetValue<string>(), r["commit_id"]!.GetValue<string>())));
        Assert.Contains($"moved from {first} to {second} while it was reviewed; the verdict is not used", Service.Log, StringComparison.Ordinal);

        // The new head got a review of its own (queued by whichever came first: the service after the first verdict,
        // or the backstop seeing the request still pending on a new head).
        var reviews = tasks.Where(t => Agent(t) == "reviewer").ToList();
        Assert.Equal(new[] { $"pr-{pr}-{first[..8]}", $"pr-{pr}-{second[..8]}" }.Order(StringComparer.Ordinal), reviews.Select(Thread).Order(StringComparer.Ordinal));
        Assert.All(reviews, t => Assert.Equal("succeeded", t.GetProperty("state").GetString()));

        // One merge, of the second head, after the second head's review.
        var calls = Forge.Calls.ToList();
        var merge = Assert.Single(MergeCalls());
        Assert.Equal(second, JsonNode.Parse(merge.Body)!["head_commit_id"]!.GetValue<string>());
        Assert.True(calls.IndexOf(merge) > calls.FindLastIndex(c => IsReviewPost(c)), "the merge came before the new head's review");
        var boss = Assert.Single(tasks, t => Agent(t) == "boss");
        Assert.Equal("succeeded", boss.GetProperty("state").GetString());
        Assert.Contains(second, await PromptAsync(boss, cts.Token), StringComparison.Ordinal);
        Assert.Equal("two\n", await GitHttpServer.GitAsync(Forge.BarePath, "show", "main:during.txt"));
    }

    [SkippableFact]
    public async Task ApprovalPostedWithTheReviewersTokenOutsideAReviewTask_IsFollowedByNoMerge()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var head = await CommitAsync("feature/by-hand", "hand.txt", "approved by hand\n");
        var pr = await OpenPullAsync("it-dev", "feature/by-hand", "Approved by hand", cts.Token);

        // The reviewer's own account approves the current head, but no review task of the service ran.
        using (var approval = await ForgeAs("it-reviewer").PostAsJsonAsync($"api/v1/repos/{Forge.FullName}/pulls/{pr}/reviews", new { @event = "APPROVED", body = "LGTM", commit_id = head }, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, approval.StatusCode);
        }

        await BackstopPassesAsync(2, cts.Token);

        // An authorised person's approval webhook asks the lead to merge.
        using (var approval = await ForgeAs("alice").PostAsJsonAsync($"api/v1/repos/{Forge.FullName}/pulls/{pr}/reviews", new { @event = "APPROVED", body = "Fine by me", commit_id = head }, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, approval.StatusCode);
        }

        var merge = await WaitForTaskAsync(t => Agent(t) == "boss" && Ended(t), cts.Token);
        await BackstopPassesAsync(2, cts.Token);

        Assert.Equal("failed", merge.GetProperty("state").GetString());
        Assert.Contains(await HistoryAsync(merge, cts.Token), r => r.Contains("no review task of the service has given a verdict", StringComparison.Ordinal));
        Assert.Empty(MergeCalls());
        Assert.Single(await ListTasksAsync(cts.Token));
        Assert.Equal(head, await RefAsync(Forge.BarePath, "refs/heads/feature/by-hand"));
    }

    private string Token(string agent) => File.ReadAllText(Path.Combine(fixture.Home, "tokens", agent)).Trim();

    private HttpClient ForgeAs(string login)
    {
        var token = login switch
        {
            "alice" => "alice-token",
            "it-dev" => Token("dev"),
            "it-reviewer" => Token("reviewer"),
            _ => throw new ArgumentOutOfRangeException(nameof(login)),
        };
        var client = new HttpClient { BaseAddress = Forge.Url };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
        return client;
    }

    private Task<string> CommitAsync(string branch, string path, string content) =>
        fixture.Git.CommitAsync(Forge.Owner, Forge.Repo, branch, new Dictionary<string, string> { [path] = content }, $"Write {path}");

    private async Task<long> OpenPullAsync(string author, string head, string title, CancellationToken cancellationToken)
    {
        using var response = await ForgeAs(author).PostAsJsonAsync($"api/v1/repos/{Forge.FullName}/pulls", new { head, @base = "main", title, body = "Please review." }, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("number").GetInt64();
    }

    private async Task RequestReviewAsync(string user, long pr, CancellationToken cancellationToken)
    {
        using var response = await ForgeAs(user).PostAsJsonAsync($"api/v1/repos/{Forge.FullName}/pulls/{pr}/requested_reviewers", new { reviewers = new[] { "it-reviewer" } }, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static bool IsReviewPost(FakeForgejo.ApiCall call) =>
        call.Method == "POST" && call.User == "it-reviewer" && call.Path.EndsWith("/reviews", StringComparison.Ordinal);

    /// <summary>The reviews posted with the reviewer's account, in order.</summary>
    private List<JsonNode> PostedReviews() => [.. Forge.Calls.Where(IsReviewPost).Select(c => JsonNode.Parse(c.Body)!)];

    private List<FakeForgejo.ApiCall> MergeCalls() => [.. Forge.Calls.Where(c => c.Method == "POST" && c.Path.EndsWith("/merge", StringComparison.Ordinal))];

    /// <summary>Waits until the backstop has listed the open pull requests <paramref name="count"/> more times, so at least one whole pass ran from here.</summary>
    private async Task BackstopPassesAsync(int count, CancellationToken cancellationToken)
    {
        bool Listing(FakeForgejo.ApiCall c) => c.Method == "GET" && c.Path.EndsWith($"/repos/{Forge.FullName}/pulls", StringComparison.Ordinal);
        var seen = Forge.Calls.Count(Listing);
        await WaitForAsync(() => Task.FromResult(Forge.Calls.Count(Listing) >= seen + count ? "" : null), cancellationToken);
    }

    private static string Verdict(string verdict, string body) => $"Reviewed.\n```json\n{JsonSerializer.Serialize(new { verdict, body })}\n```";

    /// <summary>What the last tool call returned, as the CLI sent it back to the model.</summary>
    private static string LastToolResult(string requestBody)
    {
        using var document = JsonDocument.Parse(requestBody);
        var results = document.RootElement.GetProperty("messages").EnumerateArray()
            .SelectMany(m => m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array ? content.EnumerateArray() : Enumerable.Empty<JsonElement>())
            .Where(b => b.TryGetProperty("type", out var type) && type.GetString() == "tool_result")
            .Select(b => b.GetProperty("content") switch
            {
                { ValueKind: JsonValueKind.String } text => text.GetString()!,
                { ValueKind: JsonValueKind.Array } parts => string.Concat(parts.EnumerateArray().Select(p => p.TryGetProperty("text", out var t) ? t.GetString() : "")),
                _ => "",
            })
            .ToList();
        return results.Count > 0 ? results[^1] : "";
    }

    private static async Task<string> RefAsync(string bare, string reference) => (await GitHttpServer.GitAsync(bare, "rev-parse", reference)).Trim();

    private static string? Agent(JsonElement task) => task.GetProperty("agent").GetString();

    private static string? Thread(JsonElement task) => task.GetProperty("thread").GetString();

    private static bool Ended(JsonElement task) => task.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed_out";

    private async Task<JsonElement> DetailAsync(JsonElement task, CancellationToken cancellationToken) =>
        await Service.Client.GetFromJsonAsync<JsonElement>($"task/{task.GetProperty("id").GetString()}", cancellationToken);

    private async Task<string> PromptAsync(JsonElement task, CancellationToken cancellationToken) =>
        (await DetailAsync(task, cancellationToken)).GetProperty("prompt").GetString() ?? "";

    private async Task<List<string>> HistoryAsync(JsonElement task, CancellationToken cancellationToken) =>
        [.. (await DetailAsync(task, cancellationToken)).GetProperty("history").EnumerateArray().Select(h => h.GetProperty("reason").GetString() ?? "")];

    private async Task<List<JsonElement>> ListTasksAsync(CancellationToken cancellationToken) =>
        [.. (await Service.Client.GetFromJsonAsync<JsonElement>("tasks?limit=100", cancellationToken)).GetProperty("tasks").EnumerateArray()];

    private async Task<JsonElement> WaitForTaskAsync(Func<JsonElement, bool> match, CancellationToken cancellationToken) =>
        (await WaitForAsync(async () => (await ListTasksAsync(cancellationToken)).Where(match).ToList() is { Count: > 0 } found ? found : null, cancellationToken))[0];

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
