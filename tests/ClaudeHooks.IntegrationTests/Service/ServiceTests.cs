using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Service;

/// <summary>The real service process on a loopback port, with the real engine, CLI, scripted model and git remote.</summary>
[Collection(DockerCollection.Name)]
public sealed class ServiceTests(DockerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-service-").FullName;
    private ServiceProcess? _service;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        fixture.Model.Reset();
        Directory.Delete(_data, recursive: true);
    }

    [SkippableFact]
    public async Task Submit_RunsToSuccess_PushesTheCommit_AndEventsReplay()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync();
        var (repo, bare) = await NewRepositoryAsync();
        fixture.Git.RequiredToken = fixture.DevToken;
        fixture.Model.EnqueueFor("submit-marker",
            ScriptedTurn.Bash("echo feature > feature.txt && git add feature.txt && git commit -qm 'add feature' && echo ok"),
            ScriptedTurn.Text("Feature added."));

        var id = await SubmitAsync(service, new { agent = "dev", repo, prompt = "submit-marker: add a feature", thread = "issue-11" });
        var task = await WaitForEndAsync(service, id, cts.Token);

        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        var outcome = task.GetProperty("outcome");
        Assert.Equal("dev/issue-11", outcome.GetProperty("branch").GetString());
        Assert.Equal(2, outcome.GetProperty("turns").GetInt32());
        Assert.True(outcome.GetProperty("cost_usd").GetDecimal() > 0);
        Assert.True(outcome.GetProperty("duration_ms").GetInt64() > 0);
        Assert.Equal("Feature added.", outcome.GetProperty("final_text").GetString());
        var pushed = Assert.Single(outcome.GetProperty("pushed_commits").EnumerateArray());
        Assert.Equal("add feature", pushed.GetProperty("subject").GetString());
        var remoteHead = (await GitHttpServer.GitAsync(bare, "rev-parse", "refs/heads/dev/issue-11")).Trim();
        Assert.Equal(remoteHead, pushed.GetProperty("sha").GetString());
        Assert.Equal(["queued", "running", "succeeded"], task.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("to").GetString()).Distinct());

        var events = await ReadEventsAsync(service, id, lastEventId: null, cts.Token);
        Assert.Equal(Enumerable.Range(1, events.Count - 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), events.SkipLast(1).Select(e => e.Id));
        Assert.Contains(events, e => e.Type == "system/init");
        Assert.Equal("end", events[^1].Type);
        var resumed = await ReadEventsAsync(service, id, lastEventId: "3", cts.Token);
        Assert.Equal("4", resumed[0].Id);
        Assert.Equal(events.Count - 3, resumed.Count);
    }

    [SkippableFact]
    public async Task TwoTasksOnOneRepository_RunTogether_InSeparateWorktrees()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync();
        var (repo, bare) = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        foreach (var name in new[] { "alpha", "beta" })
        {
            fixture.Model.EnqueueFor($"{name}-marker",
                ScriptedTurn.Bash($"sleep 1; echo {name} > {name}.txt && git add {name}.txt && git commit -qm 'add {name}' && pwd"),
                ScriptedTurn.Text($"{name} done"));
        }

        var ids = await Task.WhenAll(
            SubmitAsync(service, new { agent = "dev", repo, prompt = "alpha-marker", thread = "issue-21" }),
            SubmitAsync(service, new { agent = "dev", repo, prompt = "beta-marker", thread = "issue-22" }));
        var tasks = await Task.WhenAll(ids.Select(id => WaitForEndAsync(service, id, cts.Token)));

        Assert.All(tasks, t => Assert.Equal("succeeded", t.GetProperty("state").GetString()));
        var worktrees = tasks.Select(t => t.GetProperty("outcome").GetProperty("worktree").GetString()).ToList();
        Assert.NotEqual(worktrees[0], worktrees[1]);
        Assert.Equal("add alpha", (await GitHttpServer.GitAsync(bare, "log", "-1", "--format=%s", "refs/heads/dev/issue-21")).Trim());
        Assert.Equal("add beta", (await GitHttpServer.GitAsync(bare, "log", "-1", "--format=%s", "refs/heads/dev/issue-22")).Trim());

        // Both ran at once: each was claimed before the other finished.
        DateTimeOffset At(JsonElement task, string to) => task.GetProperty("history").EnumerateArray().First(h => h.GetProperty("to").GetString() == to).GetProperty("at").GetDateTimeOffset();
        Assert.True(At(tasks[0], "running") < At(tasks[1], "succeeded") && At(tasks[1], "running") < At(tasks[0], "succeeded"), "the two tasks did not overlap");
    }

    [SkippableFact]
    public async Task Cancel_RunningTask_EndsCancelledWithNoProcessLeft()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync();
        var (repo, _) = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        var baseline = await ProcessesAsync(cts.Token);
        fixture.Model.EnqueueFor("cancel-marker", ScriptedTurn.Bash("mkfifo /tmp/wait && cat /tmp/wait"));

        var id = await SubmitAsync(service, new { agent = "dev", repo, prompt = "cancel-marker", thread = "issue-31" });
        await WaitForProcessAsync("wait", cts.Token);
        using var cancel = await service.Client.PostAsync($"task/{id}/cancel", null, cts.Token);
        var task = await WaitForEndAsync(service, id, cts.Token);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("cancelled", task.GetProperty("state").GetString());
        Assert.Equal(baseline, await ProcessesAsync(cts.Token));
        Assert.DoesNotContain(await fixture.SandboxNamesAsync(cts.Token), n => n.EndsWith(id, StringComparison.Ordinal));
        using var again = await service.Client.PostAsync($"task/{id}/cancel", null, cts.Token);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [SkippableFact]
    public async Task KilledMidTask_IsRecoveredAfterRestart_AndCompletesOnce()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync();
        var (repo, _) = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        var baseline = await ProcessesAsync(cts.Token);
        fixture.Model.EnqueueFor("crash-marker", ScriptedTurn.Bash("mkfifo /tmp/crash && cat /tmp/crash"), ScriptedTurn.Text("finished after recovery"));

        var id = await SubmitAsync(service, new { agent = "dev", repo, prompt = "crash-marker", thread = "issue-41" });
        await WaitForProcessAsync("crash", cts.Token);
        var before = await fixture.Runtime.InspectAsync(ClaudeHooks.Containers.ResourceNames.Sandbox(fixture.Prefix, "dev", id), cts.Token);
        await service.KillAsync();
        Assert.Contains(await SandboxProcessesAsync(cts.Token), p => p.EndsWith("/crash", StringComparison.Ordinal));
        var stale = (await fixture.SandboxNamesAsync(cts.Token)).ToList();

        var restarted = await StartAsync();
        var task = await WaitForEndAsync(restarted, id, cts.Token);

        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        Assert.Equal(2, task.GetProperty("attempt").GetInt32());
        var history = task.GetProperty("history").EnumerateArray().ToList();
        Assert.Single(history, h => h.GetProperty("to").GetString() == "succeeded");
        Assert.Contains(history, h => h.GetProperty("reason").GetString()!.Contains("expired (the service died mid-task); its sandbox was removed with every process in it; queued again for attempt 2 of 3", StringComparison.Ordinal));
        Assert.Equal(baseline, await ProcessesAsync(cts.Token));

        // Nothing of the dead service's sandboxes is left: neither the task's nor its warm ones.
        Assert.Null(await fixture.Runtime.InspectAsync(before!.ID, cts.Token));
        var now = await fixture.SandboxNamesAsync(cts.Token);
        Assert.Empty(now.Intersect(stale));
        Assert.DoesNotContain(await SandboxProcessesAsync(cts.Token), p => p.EndsWith("/crash", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task AgentContainerRemovedByARebuild_WhileTheTaskPushes_InterruptsAndQueuesItAgain()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync();
        var (repo, _) = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        fixture.Model.EnqueueFor("rebuild-marker",
            ScriptedTurn.Bash("echo r > r.txt && git add r.txt && git commit -qm r && mkfifo /tmp/rebuild && cat /tmp/rebuild"),
            ScriptedTurn.Text("first attempt done"),
            ScriptedTurn.Text("done after the rebuild"));
        var dev = fixture.Config.Find("dev")!;
        var container = ClaudeHooks.Containers.ResourceNames.Container(fixture.Prefix, "dev");

        var id = await SubmitAsync(service, new { agent = "dev", repo, prompt = "rebuild-marker", thread = "issue-43" });
        await WaitForProcessAsync("rebuild", cts.Token);

        // A rebuild removes the agent's container first; the task ends while it is gone, when its commits are pushed.
        Assert.True(await fixture.Runtime.RemoveAsync(container, cts.Token));
        var sandbox = ClaudeHooks.Containers.ResourceNames.Sandbox(fixture.Prefix, "dev", ClaudeHooks.Containers.ResourceNames.TaskKey(id));
        await fixture.Runtime.ExecAsync(sandbox, ["sh", "-c", "echo go > /tmp/rebuild"], user: "root", cancellationToken: cts.Token);
        while ((await service.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cts.Token)).GetProperty("state").GetString() == "running")
        {
            await Task.Delay(100, cts.Token);
        }

        await fixture.Reconciler().UpAsync([dev], cts.Token);
        var task = await WaitForEndAsync(service, id, cts.Token);

        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        Assert.Equal(2, task.GetProperty("attempt").GetInt32());
        Assert.Contains(task.GetProperty("history").EnumerateArray(), h =>
            h.GetProperty("to").GetString() == "queued" && h.GetProperty("reason").GetString()!.StartsWith($"interrupted: the agent's container {container} was removed while the task ran", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Sigterm_DrainsThenInterrupts_AndAcceptsDuringDrain_ThenBothRunAfterRestart()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync();
        var (repo, _) = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        fixture.Model.EnqueueFor("drain-marker", ScriptedTurn.Bash("mkfifo /tmp/drain && cat /tmp/drain"), ScriptedTurn.Text("resumed after restart"));
        fixture.Model.EnqueueFor("late-marker", ScriptedTurn.Text("late task done"));

        var first = await SubmitAsync(service, new { agent = "dev", repo, prompt = "drain-marker", thread = "issue-51" });
        await WaitForProcessAsync("drain", cts.Token);
        service.Terminate();
        await Task.Delay(500, cts.Token);
        var late = await SubmitAsync(service, new { agent = "dev", repo, prompt = "late-marker", thread = "issue-52" });
        Assert.True(await service.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the service did not exit after its drain budget");

        Assert.True(service.ExitCode == 0, service.Log);
        Assert.Contains("draining: no new tasks are claimed", service.Log, StringComparison.Ordinal);
        var restarted = await StartAsync();
        var tasks = await Task.WhenAll(WaitForEndAsync(restarted, first, cts.Token), WaitForEndAsync(restarted, late, cts.Token));

        Assert.All(tasks, t => Assert.Equal("succeeded", t.GetProperty("state").GetString()));
        var transitions = tasks[0].GetProperty("history").EnumerateArray().Where(h => h.GetProperty("from").GetString() != h.GetProperty("to").GetString()).ToList();
        Assert.Equal(["queued", "running", "interrupted", "queued", "running", "succeeded"], transitions.Select(h => h.GetProperty("to").GetString()));
        Assert.Contains("drain budget ran out", transitions[2].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains(tasks[0].GetProperty("history").EnumerateArray(), h => h.GetProperty("reason").GetString()!.StartsWith("resuming session", StringComparison.Ordinal));
        Assert.Equal(["queued", "running", "succeeded"], tasks[1].GetProperty("history").EnumerateArray().Select(h => h.GetProperty("to").GetString()));
    }

    public static TheoryData<string, int, string, string> BadRequests => new()
    {
        { """{"agent":"qa","repo":"https://f.example/o/r.git","prompt":"x"}""", 400, "agent", "no agent named \"qa\"" },
        { """{"agent":"dev","repo":"--upload-pack=touch /tmp/x","prompt":"x"}""", 400, "repo", "starts with '-'" },
        { """{"agent":"dev","repo":"https://f.example/../../etc","prompt":"x"}""", 400, "repo", "'..' are not allowed" },
        { """{"agent":"dev","repo":"https://f.example/o/r.git","base_ref":"--output=/x","prompt":"x"}""", 400, "base_ref", "not a valid branch" },
        { """{"agent":"dev","repo":"https://f.example/o/r.git","prompt":"x","thread":"../up"}""", 400, "thread", "is not usable" },
        { """{"agent":"dev","repo":"https://f.example/o/r.git","prompt":"x","image":"evil:latest"}""", 400, "image", "no image may be chosen per task (images.selectable is empty)" },
        { """{"agent":"dev","repo":"https://f.example/o/r.git","prompt":"x","mounts":["/:/host"],"privileged":true}""", 400, "privileged", "unknown field" },
        { """{"agent":"dev","repo":"https://f.example/o/r.git"}""", 400, "prompt", "is required" },
        { """{"agent":"dev","repo":"https://f.example/o/r.git","prompt":"x","timeout":"9h"}""", 400, "timeout", "above agent dev's limit" },
        { """{"agent":"dev","repo":"https://f.example/o/r.git","prompt":"x","timeout":"soon"}""", 400, "timeout", "not a duration" },
        { """not json""", 400, "body", "not valid JSON" },
        { """["a"]""", 400, "body", "must be a JSON object" },
    };

    [SkippableTheory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_IsRefusedNamingTheField_AndStoresNothing(string body, int status, string field, string message)
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var service = await StartAsync();
        var before = await CountTasksAsync(service);

        using var response = await service.Client.PostAsync("task", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(message, problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await CountTasksAsync(service));
    }

    [SkippableFact]
    public async Task OversizedPrompt_Is413_AndStoresNothing()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var service = await StartAsync();
        var before = await CountTasksAsync(service);

        using var response = await service.Client.PostAsJsonAsync("task", new { agent = "dev", repo = "https://f.example/o/r.git", prompt = new string('p', 300 * 1024) });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("service.max_prompt_bytes", problem.GetProperty("errors").GetProperty("prompt")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await CountTasksAsync(service));
    }

    [SkippableFact]
    public async Task Auth_MissingOrWrongToken_Is401_ForeignHost_Is403_HealthOpenOnLoopback()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var service = await StartAsync();
        using var anonymous = new HttpClient { BaseAddress = service.BaseUrl };

        using var none = await anonymous.GetAsync("tasks");
        using var wrongRequest = new HttpRequestMessage(HttpMethod.Post, "task") { Content = JsonContent.Create(new { agent = "dev" }) };
        wrongRequest.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-token");
        using var wrong = await anonymous.SendAsync(wrongRequest);
        using var foreignRequest = new HttpRequestMessage(HttpMethod.Get, "tasks");
        foreignRequest.Headers.Host = "attacker.example";
        using var foreign = await service.Client.SendAsync(foreignRequest);
        using var health = await anonymous.GetAsync("api/health");
        using var openApi = await service.Client.GetAsync("openapi/v1.json");

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var body = await health.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("database").GetProperty("ok").GetBoolean());
        Assert.Equal(0, body.GetProperty("queue").GetProperty("depth").GetProperty("dev").GetInt32());
        Assert.Equal(HttpStatusCode.OK, openApi.StatusCode);
        Assert.Contains("/task/{id}/events", await openApi.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<ServiceProcess> StartAsync()
    {
        if (_service is not null && !_service.HasExited)
        {
            return _service;
        }

        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        _service = await ServiceProcess.StartAsync(fixture.ConfigFile, fixture.Home, _data, ServiceProcess.FreePort());
        return _service;
    }

    private static async Task<string> SubmitAsync(ServiceProcess service, object body)
    {
        using var response = await service.Client.PostAsJsonAsync("task", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"submit answered {(int)response.StatusCode}: {json}");
        return json.GetProperty("task_id").GetString()!;
    }

    private static async Task<JsonElement> WaitForEndAsync(ServiceProcess service, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var task = await service.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cancellationToken);
            if (task.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed_out")
            {
                return task;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    private static async Task<int> CountTasksAsync(ServiceProcess service) =>
        (await service.Client.GetFromJsonAsync<JsonElement>("tasks?limit=500")).GetProperty("tasks").GetArrayLength();

    private static async Task<List<(string? Id, string Type)>> ReadEventsAsync(ServiceProcess service, string id, string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"task/{id}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await service.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var events = new List<(string? Id, string Type)>();
        string? currentId = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                currentId = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                events.Add((currentId, line[7..]));
                currentId = null;
            }
        }

        return events;
    }

    private async Task<(string Url, string Bare)> NewRepositoryAsync()
    {
        var name = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var url = await fixture.Git.CreateRepositoryAsync("it-owner", name, new Dictionary<string, string> { ["README.md"] = "# service\n" });
        return (url, fixture.Git.BarePath("it-owner", name));
    }

    private async Task WaitForProcessAsync(string fifo, CancellationToken cancellationToken)
    {
        while (!(await SandboxProcessesAsync(cancellationToken)).Any(p => p.Contains("cat ", StringComparison.Ordinal) && p.EndsWith($"/{fifo}", StringComparison.Ordinal)))
        {
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>What runs in the dev agent's own container: its init and nothing else, whatever the tasks do.</summary>
    private Task<IReadOnlyList<string>> ProcessesAsync(CancellationToken cancellationToken) => fixture.DevProcessesAsync(cancellationToken);

    private Task<IReadOnlyList<string>> SandboxProcessesAsync(CancellationToken cancellationToken) => fixture.SandboxProcessesAsync("dev", cancellationToken);
}
