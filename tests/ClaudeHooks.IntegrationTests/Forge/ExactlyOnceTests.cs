using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;
using Xunit.Abstractions;

namespace ClaudeHooks.IntegrationTests.Forge;

/// <summary>
/// The whole flow (dev → review asking for changes → dev fix → review approving → lead merge) while the forge
/// loses the answers to writes it applied, and while the service is killed with SIGKILL between the steps with a
/// write applied and its answer not yet read: every artefact on the forge exists once, and the flow completes.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ExactlyOnceTests(DockerFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static readonly ForgeWriteKind[] FlowWrites =
        [ForgeWriteKind.Comment, ForgeWriteKind.EditComment, ForgeWriteKind.Pull, ForgeWriteKind.ReviewRequest, ForgeWriteKind.Review, ForgeWriteKind.Merge, ForgeWriteKind.DeleteBranch];

    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-once-").FullName;
    private readonly List<string> _killedLogs = [];
    private string _configFile = "";
    private int _port;
    private long _issue;
    private FakeForgejo? _forge;
    private ServiceProcess? _service;

    private FakeForgejo Forge => _forge!;

    private ServiceProcess Service => _service!;

    private long Pull => _issue + 1;

    public async Task InitializeAsync()
    {
        if (fixture.SkipReason is not null)
        {
            return;
        }

        var repo = "once-" + Guid.NewGuid().ToString("N")[..8];
        var cloneUrl = await fixture.Git.CreateRepositoryAsync("it-owner", repo, new Dictionary<string, string> { ["README.md"] = "# once\n" });
        fixture.Git.RequiredToken = null;
        _forge = await FakeForgejo.StartAsync(fixture.Git.Host, fixture.Git, repo);
        foreach (var (agent, login) in new[] { ("boss", "it-lead"), ("dev", "it-dev"), ("reviewer", "it-reviewer") })
        {
            Forge.AddUser(login, File.ReadAllText(Path.Combine(fixture.Home, "tokens", agent)).Trim(), "write");
        }

        Forge.AddUser("alice", "alice-token", "write");
        Forge.WebhookSecret = "webhook-secret-" + repo;
        AgentSandbox.WriteSecret(Path.Combine(fixture.Home, "webhooks", repo), Forge.WebhookSecret);

        // The fixture's service.lease is 4s: a task the killed service was running is requeued seconds later.
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
        _configFile = Path.Combine(fixture.Home, $"forge-{repo}.json");
        await File.WriteAllTextAsync(_configFile, config.ToJsonString());
        _port = ServiceProcess.FreePort();
        _service = await ServiceProcess.StartAsync(_configFile, fixture.Home, _data, _port);
        Forge.WebhookUrl = new Uri(Service.BaseUrl, "webhook/forgejo");
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        if (_forge is not null)
        {
            foreach (var kind in Enum.GetValues<ForgeWriteKind>())
            {
                _forge.Release(kind);
            }

            await _forge.DisposeAsync();
        }

        fixture.Model.Reset();
        Directory.Delete(_data, recursive: true);
    }

    [SkippableFact]
    public async Task EveryWrite_AnsweredBadGatewayAfterItWasApplied_ExistsOnce_AndTheFlowCompletes()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await WithLogsOnFailureAsync(async () =>
        {
            using var cts = new CancellationTokenSource(Timeout);
            // The first call of each kind is applied and its answer lost: the first tracking comment and its first edit,
            // the pull request, the first review request, the first review, the merge and the branch's deletion.
            Forge.FailAfterApply = new HashSet<ForgeWriteKind>(FlowWrites);
            await StartFlowAsync(cts.Token);

            var tasks = await WaitForFlowAsync(cts.Token);

            Assert.Empty(Forge.FailAfterApply);
            foreach (var kind in FlowWrites)
            {
                Assert.True(Forge.Calls.Count(c => KindOf(c) == kind && c.Injected == 502) == 1, $"the fault for {kind} did not fire once:\n{Describe(Forge.Calls.Where(c => KindOf(c) == kind))}");
            }

            await AssertEachArtefactOnceAsync(tasks, cts.Token);

            // Each lost answer was looked for on the forge, never written again.
            Assert.Single(Forge.Calls, c => KindOf(c) == ForgeWriteKind.Pull);
            Assert.Single(Forge.Calls, c => KindOf(c) == ForgeWriteKind.Merge);
            Assert.Equal(2, Forge.Calls.Count(c => KindOf(c) == ForgeWriteKind.Review));
            Assert.Equal(2, Forge.Calls.Count(c => KindOf(c) == ForgeWriteKind.ReviewRequest));
        });
    }

    [SkippableFact]
    public async Task KillNine_BetweenEachStepOfTheFlow_LeavesEachArtefactOnce_AndTheFlowCompletes()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        await WithLogsOnFailureAsync(async () =>
        {
            using var cts = new CancellationTokenSource(Timeout);
            // Each step's write is applied on the forge, and the service dies before it reads the answer: after the dev's
            // push (the pull request), after the pull request (the review request), after the review, and at the merge,
            // with the lead's merge task still running under its lease.
            ForgeWriteKind[] steps = [ForgeWriteKind.Pull, ForgeWriteKind.ReviewRequest, ForgeWriteKind.Review, ForgeWriteKind.Merge];
            Forge.HoldAfterApply = new HashSet<ForgeWriteKind>(steps);
            await StartFlowAsync(cts.Token);

            foreach (var step in steps)
            {
                await WaitForHeldAsync(step, cts.Token);
                await Service.KillAsync();
                Forge.Release(step);
                _killedLogs.Add($"--- service killed while the forge held its {step} write ---\n{Service.Log}");
                await Service.DisposeAsync();
                _service = await ServiceProcess.StartAsync(_configFile, fixture.Home, _data, _port);
            }

            var tasks = await WaitForFlowAsync(cts.Token);

            Assert.Empty(Forge.HoldAfterApply);
            await AssertEachArtefactOnceAsync(tasks, cts.Token);

            // Each held write was cut short by the kill and found on the forge by the next process; the merge task ran again.
            var writes = await ForgeWritesAsync(tasks, cts.Token);
            var ordered = tasks.OrderBy(t => t.GetProperty("created_at").GetDateTimeOffset()).Select(t => t.GetProperty("id").GetString()).ToList();
            foreach (var key in new[] { $"open_pull:{ordered[0]}", $"request_review:{ordered[0]}:{Pull}", $"review:{ordered[1]}", $"merge:{ordered[4]}:1" })
            {
                var write = Assert.Single(writes, w => w.GetProperty("key").GetString() == key);
                Assert.True(write.GetProperty("attempts").GetInt32() >= 2, $"forge write {write} was not cut short by the kill");
            }

            Assert.Equal(2, tasks.Single(t => t.GetProperty("agent").GetString() == "boss").GetProperty("attempt").GetInt32());

            // Each write the killed service had made was found on the forge after the restart, never made again.
            Assert.Single(Forge.Calls, c => KindOf(c) == ForgeWriteKind.Pull);
            Assert.Single(Forge.Calls, c => KindOf(c) == ForgeWriteKind.Merge);
            Assert.Equal(2, Forge.Calls.Count(c => KindOf(c) == ForgeWriteKind.Review));
            Assert.Equal(2, Forge.Calls.Count(c => KindOf(c) == ForgeWriteKind.ReviewRequest));
        });
    }

    /// <summary>Scripts the three agents' conversations, opens the issue and assigns it to the dev agent.</summary>
    private async Task StartFlowAsync(CancellationToken cancellationToken)
    {
        _issue = Forge.CreateIssue("Add a greeting", "Please add greeting.txt.", "alice");
        fixture.Model.EnqueueFor("is assigned to you",
            ScriptedTurn.Bash("echo hello > greeting.txt && git add greeting.txt && git commit -qm 'Add greeting' && echo ok"),
            ScriptedTurn.Text("Added greeting.txt."));
        fixture.Model.EnqueueFor("Review pull request",
            ScriptedTurn.Text("Needs a test.\n```json\n{\"verdict\":\"request_changes\",\"body\":\"Please add a test.\",\"comments\":[{\"path\":\"greeting.txt\",\"line\":1,\"body\":\"untested\"}]}\n```"),
            ScriptedTurn.Text("Good now.\n```json\n{\"verdict\":\"approve\",\"body\":\"Looks good.\"}\n```"));
        fixture.Model.EnqueueFor("asked for changes",
            ScriptedTurn.Bash("echo check > greeting.test && git add greeting.test && git commit -qm 'Add a test' && echo ok"),
            ScriptedTurn.Text("Added a test for the greeting."));

        using var alice = new HttpClient { BaseAddress = Forge.Url };
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", "alice-token");
        using var assign = await alice.PatchAsJsonAsync($"api/v1/repos/{Forge.FullName}/issues/{_issue}", new { assignees = new[] { "it-dev" } }, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, assign.StatusCode);
    }

    /// <summary>Until five tasks succeeded and the outbox has nothing left to carry out.</summary>
    private Task<List<JsonElement>> WaitForFlowAsync(CancellationToken cancellationToken) =>
        WaitUntilAsync(async tasks => tasks.Count(t => t.GetProperty("state").GetString() == "succeeded") >= 5
            && (await ForgeWritesAsync(tasks, cancellationToken)).All(w => w.GetProperty("state").GetString() != "pending"), cancellationToken);

    /// <summary>
    /// Until the forge holds a write of <paramref name="kind"/>, failing at once when a task fails instead. Awaited
    /// directly, so the kill follows the write within milliseconds: no other work of the service starts in between.
    /// </summary>
    private async Task WaitForHeldAsync(ForgeWriteKind kind, CancellationToken cancellationToken)
    {
        var held = Forge.Held(kind);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WaitUntilAsync(_ => Task.FromResult(false), watching.Token);
        await Task.WhenAny(held, watch);
        await watching.CancelAsync();
        try
        {
            await watch;
        }
        catch (OperationCanceledException) when (held.IsCompleted)
        {
            // Stopped watching: the write is held.
        }

        await held;
    }

    /// <summary>Polls the service's tasks until <paramref name="done"/>; a task that ended any other way than succeeded fails the test with its reason at once.</summary>
    private async Task<List<JsonElement>> WaitUntilAsync(Func<List<JsonElement>, Task<bool>> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            var tasks = await ListTasksAsync(cancellationToken);
            if (tasks.FirstOrDefault(t => t.GetProperty("state").GetString() is "failed" or "cancelled" or "timed_out") is { ValueKind: JsonValueKind.Object } ended)
            {
                var id = ended.GetProperty("id").GetString()!;
                var detail = await GetTaskAsync(id, cancellationToken);
                Assert.Fail($"task {id} ({ended.GetProperty("agent").GetString()}) ended {ended.GetProperty("state").GetString()}: {detail.GetProperty("history").EnumerateArray().Last().GetProperty("reason").GetString()}");
            }

            if (await done(tasks))
            {
                return tasks;
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    private async Task AssertEachArtefactOnceAsync(List<JsonElement> tasks, CancellationToken cancellationToken)
    {
        var ordered = tasks.OrderBy(t => t.GetProperty("created_at").GetDateTimeOffset()).ToList();
        Assert.All(ordered, t => Assert.Equal("succeeded", t.GetProperty("state").GetString()));
        Assert.Equal(["dev", "reviewer", "dev", "reviewer", "boss"], ordered.Select(t => t.GetProperty("agent").GetString()));
        Assert.All(await ForgeWritesAsync(ordered, cancellationToken), w => Assert.True(w.GetProperty("state").GetString() == "done", $"forge write {w}"));

        // One pull request, merged; nothing numbered after it.
        using var forge = new HttpClient { BaseAddress = Forge.Url };
        forge.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", "alice-token");
        var pull = await forge.GetFromJsonAsync<JsonElement>($"api/v1/repos/{Forge.FullName}/pulls/{Pull}", cancellationToken);
        Assert.True(pull.GetProperty("merged").GetBoolean());
        using (var next = await forge.GetAsync($"api/v1/repos/{Forge.FullName}/issues/{Pull + 1}", cancellationToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, next.StatusCode);
        }

        var files = await GitHttpServer.GitAsync(Forge.BarePath, "ls-tree", "--name-only", "main");
        Assert.Contains("greeting.txt", files, StringComparison.Ordinal);
        Assert.Contains("greeting.test", files, StringComparison.Ordinal);
        Assert.DoesNotContain("dev/issue-", await GitHttpServer.GitAsync(Forge.BarePath, "branch", "--list"), StringComparison.Ordinal);

        // One review per review task, by the reviewer's account, each ending with its task's marker.
        var reviews = (await forge.GetFromJsonAsync<JsonElement>($"api/v1/repos/{Forge.FullName}/pulls/{Pull}/reviews", cancellationToken)).EnumerateArray().ToList();
        var reviewTasks = ordered.Where(t => t.GetProperty("agent").GetString() == "reviewer").Select(t => t.GetProperty("id").GetString()!).ToList();
        Assert.Equal(["REQUEST_CHANGES", "APPROVED"], reviews.Select(r => r.GetProperty("state").GetString()));
        Assert.All(reviews, r => Assert.Equal("it-reviewer", r.GetProperty("user").GetProperty("login").GetString()));
        for (var i = 0; i < reviewTasks.Count; i++)
        {
            Assert.EndsWith($"<!-- claude-hooks:review:{reviewTasks[i]} -->", reviews[i].GetProperty("body").GetString()!.TrimEnd(), StringComparison.Ordinal);
        }

        // Comments: one tracking comment per task, by its agent's account, final; one "addressed" comment; nothing else.
        var comments = Forge.CommentsOn(_issue).Concat(Forge.CommentsOn(Pull)).ToList();
        var logins = new Dictionary<string, string> { ["dev"] = "it-dev", ["reviewer"] = "it-reviewer", ["boss"] = "it-lead" };
        foreach (var task in ordered)
        {
            var id = task.GetProperty("id").GetString()!;
            var tracking = comments.Where(c => c.Body.TrimEnd().EndsWith($"<!-- claude-hooks:track:{id} -->", StringComparison.Ordinal)).ToList();
            Assert.True(tracking.Count == 1, $"task {id} has {tracking.Count} tracking comments");
            Assert.Equal(logins[task.GetProperty("agent").GetString()!], tracking[0].User);
            Assert.StartsWith("✅", tracking[0].Body, StringComparison.Ordinal);
        }

        var addressed = Assert.Single(comments, c => c.Body.StartsWith("Addressed the review in 1 commit(s)", StringComparison.Ordinal));
        Assert.Equal("it-dev", addressed.User);
        Assert.EndsWith($"<!-- claude-hooks:comment:{ordered[2].GetProperty("id").GetString()}:addressed -->", addressed.Body, StringComparison.Ordinal);
        Assert.True(comments.Count == ordered.Count + 1, $"the issue and the pull request have {comments.Count} comments, not {ordered.Count + 1}:\n{string.Join("\n---\n", comments.Select(c => $"{c.User}: {c.Body}"))}");
    }

    private static ForgeWriteKind? KindOf(FakeForgejo.ApiCall call) => (call.Method, call.Path) switch
    {
        ("POST", var p) when p.EndsWith("/comments", StringComparison.Ordinal) => ForgeWriteKind.Comment,
        ("PATCH", var p) when p.Contains("/issues/comments/", StringComparison.Ordinal) => ForgeWriteKind.EditComment,
        ("PATCH", _) => ForgeWriteKind.EditIssue,
        ("POST", var p) when p.EndsWith("/pulls", StringComparison.Ordinal) => ForgeWriteKind.Pull,
        ("POST", var p) when p.EndsWith("/requested_reviewers", StringComparison.Ordinal) => ForgeWriteKind.ReviewRequest,
        ("POST", var p) when p.EndsWith("/reviews", StringComparison.Ordinal) => ForgeWriteKind.Review,
        ("POST", var p) when p.EndsWith("/merge", StringComparison.Ordinal) => ForgeWriteKind.Merge,
        ("DELETE", var p) when p.Contains("/branches/", StringComparison.Ordinal) => ForgeWriteKind.DeleteBranch,
        _ => null,
    };

    private static string Describe(IEnumerable<FakeForgejo.ApiCall> calls) =>
        string.Join("\n", calls.Select(c => $"{c.Method} {c.Path} by {c.User} -> {c.Injected?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "answered"}")) is { Length: > 0 } text ? text : "no such call";

    /// <summary>The forge writes the service owes for <paramref name="tasks"/>, as it reports them: key, kind, state, attempts, last error.</summary>
    private async Task<List<JsonElement>> ForgeWritesAsync(IEnumerable<JsonElement> tasks, CancellationToken cancellationToken)
    {
        var writes = new List<JsonElement>();
        foreach (var task in tasks)
        {
            writes.AddRange((await GetTaskAsync(task.GetProperty("id").GetString()!, cancellationToken)).GetProperty("forge_writes").EnumerateArray());
        }

        return writes;
    }

    /// <summary>Runs <paramref name="test"/>; when it fails, the logs of every service process it ran, the forge writes the service owes and those the forge received go to the test's output.</summary>
    private async Task WithLogsOnFailureAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            foreach (var log in _killedLogs)
            {
                output.WriteLine(log);
            }

            output.WriteLine($"--- service running at the failure ---\n{Service.Log}");
            try
            {
                output.WriteLine("--- forge writes owed ---\n" + string.Join("\n", await ForgeWritesAsync(await ListTasksAsync(CancellationToken.None), CancellationToken.None)));
            }
            catch (HttpRequestException e)
            {
                output.WriteLine($"--- forge writes owed: the service does not answer ({e.Message}) ---");
            }

            output.WriteLine("--- forge writes ---\n" + Describe(Forge.Calls.Where(c => c.Method != "GET")));
            throw;
        }
    }

    private async Task<JsonElement> GetTaskAsync(string id, CancellationToken cancellationToken) =>
        await Service.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cancellationToken);

    private async Task<List<JsonElement>> ListTasksAsync(CancellationToken cancellationToken) =>
        [.. (await Service.Client.GetFromJsonAsync<JsonElement>("tasks?limit=100", cancellationToken)).GetProperty("tasks").EnumerateArray()];
}
