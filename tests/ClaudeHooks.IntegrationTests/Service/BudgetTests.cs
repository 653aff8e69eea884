using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Service;

/// <summary>
/// Budgets in the real service: the real CLI in real sandboxes, a scripted model whose responses report large usage
/// (Sonnet's $15 per million output tokens: 100,000 of them cost $1.50), and the gateway counting it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class BudgetTests(DockerFixture fixture) : IAsyncLifetime
{
    private const long CostlyTokens = 100_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-budget-").FullName;
    private readonly List<string> _configs = [];
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
        foreach (var config in _configs)
        {
            File.Delete(config);
        }
    }

    [SkippableFact]
    public async Task AgentDailyCap_Reached_HoldsTheNextTaskBeforeItRuns_NamingTheCap()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync(new JsonObject { ["per_agent_per_day_usd"] = new JsonObject { ["dev"] = 1 } });
        var repo = await NewRepositoryAsync();
        fixture.Model.EnqueueFor("spender-marker", ScriptedTurn.Costly(ScriptedTurn.Text("That was expensive."), CostlyTokens));
        fixture.Model.EnqueueFor("held-marker", ScriptedTurn.Text("must never run"));

        var first = await WaitForEndAsync(service, await SubmitAsync(service, new { agent = "dev", repo, prompt = "spender-marker", thread = "issue-1" }), cts.Token);
        var held = await SubmitAsync(service, new { agent = "dev", repo, prompt = "held-marker", thread = "issue-2" });
        var task = await WaitForAsync(service, held, t => t.GetProperty("budget_hold").ValueKind == JsonValueKind.Object, cts.Token);
        // Several claim polls (every 2 s) pass: the hold is told once, not at every poll.
        await Task.Delay(TimeSpan.FromSeconds(7), cts.Token);
        task = await service.Client.GetFromJsonAsync<JsonElement>($"task/{held}", cts.Token);

        Assert.True(first.GetProperty("cost_usd").GetDecimal() >= 1.5m, first.ToString());
        Assert.Equal("queued", task.GetProperty("state").GetString());
        Assert.Equal(0, task.GetProperty("attempt").GetInt32());
        var reason = task.GetProperty("budget_hold").GetProperty("reason").GetString()!;
        Assert.StartsWith("agent dev spent $1.5", reason, StringComparison.Ordinal);
        Assert.Contains("of its $1.00 daily cap (budgets.per_agent_per_day_usd.dev); waits until 00:00 UTC", reason, StringComparison.Ordinal);
        Assert.Single(task.GetProperty("history").EnumerateArray(), h => h.GetProperty("reason").GetString()!.StartsWith("held: agent dev spent", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Model.ConversationRequests, r => r.Body.Contains("held-marker", StringComparison.Ordinal));
        var budget = await service.Client.GetFromJsonAsync<JsonElement>("budget", cts.Token);
        var dev = budget.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "dev");
        Assert.True(dev.GetProperty("reached").GetBoolean());
        Assert.Equal(1m, dev.GetProperty("cap_usd").GetDecimal());
        var (exit, output) = await CliAsync(service, cts.Token, "budget");
        Assert.True(exit == 0, output);
        Assert.Matches(@"(?m)^dev\s+\$1\.5\d\s+\$1\.00\s+\$0\.00 \(reached\).*budgets\.per_agent_per_day_usd\.dev\s*$", output);
        var (jsonExit, json) = await CliAsync(service, cts.Token, "budget", "--json");
        Assert.True(jsonExit == 0, json);
        Assert.True(JsonDocument.Parse(json).RootElement.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "dev").GetProperty("reached").GetBoolean());
    }

    [SkippableFact]
    public async Task AgentDailyCap_CrossedMidRun_StopsTheRunningTask_AndTheGatewayRefusesItsModelRequests()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync(new JsonObject { ["per_agent_per_day_usd"] = 4 });
        var repo = await NewRepositoryAsync();
        // $1.50 a turn: the third response brings the day to $4.50, past the $4.00 cap; the fourth and fifth are never answered.
        fixture.Model.EnqueueFor("busy-marker",
            ScriptedTurn.Costly(ScriptedTurn.Bash("echo one"), CostlyTokens),
            ScriptedTurn.Costly(ScriptedTurn.Bash("echo two"), CostlyTokens),
            ScriptedTurn.Costly(ScriptedTurn.Bash("echo three"), CostlyTokens),
            ScriptedTurn.Costly(ScriptedTurn.Bash("echo four"), CostlyTokens),
            ScriptedTurn.Text("all done"));

        var id = await SubmitAsync(service, new { agent = "dev", repo, prompt = "busy-marker", thread = "issue-3" });
        var task = await WaitForEndAsync(service, id, cts.Token);

        Assert.Equal("cancelled", task.GetProperty("state").GetString());
        var reason = task.GetProperty("outcome").GetProperty("reason").GetString()!;
        Assert.StartsWith("stopped: agent dev spent $4.5", reason, StringComparison.Ordinal);
        Assert.Contains("daily cap (budgets.per_agent_per_day_usd)", reason, StringComparison.Ordinal);
        var metered = task.GetProperty("metered");
        Assert.InRange(metered.GetProperty("output_tokens").GetInt64(), 3 * CostlyTokens, (4 * CostlyTokens) - 1);
        Assert.InRange(task.GetProperty("cost_usd").GetDecimal(), 4.5m, 5.99m);
        Assert.NotEqual("all done", task.GetProperty("outcome").TryGetProperty("final_text", out var final) ? final.GetString() : null);
        var listed = (await service.Client.GetFromJsonAsync<JsonElement>("tasks", cts.Token)).GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("id").GetString() == id);
        Assert.True(listed.GetProperty("cost_usd").GetDecimal() >= 4.5m);
        Assert.Contains(task.GetProperty("history").EnumerateArray(), h => h.GetProperty("reason").GetString()!.StartsWith("cancel requested: stopped: agent dev spent", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task LoopBreaker_ThirdTaskOnOnePullRequestWithinTheWindow_IsCancelledWithoutRunning()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await StartAsync(new JsonObject { ["loop_breaker"] = new JsonObject { ["max_tasks_per_pull_request"] = 2, ["window"] = "1h" } });
        var repo = await NewRepositoryAsync();
        var ended = new List<JsonElement>();
        foreach (var (marker, thread) in new[] { ("loop-one", "pr-7"), ("loop-two", "pr-7"), ("loop-three", "pr-7"), ("other-pull", "pr-8") })
        {
            fixture.Model.EnqueueFor(marker, ScriptedTurn.Text($"{marker} answered"));
            ended.Add(await WaitForEndAsync(service, await SubmitAsync(service, new { agent = "dev", repo, prompt = marker, thread }), cts.Token));
        }

        Assert.Equal(["succeeded", "succeeded", "cancelled", "succeeded"], ended.Select(t => t.GetProperty("state").GetString()));
        var broken = ended[2];
        Assert.Equal(0, broken.GetProperty("attempt").GetInt32());
        var reason = broken.GetProperty("history").EnumerateArray().Last().GetProperty("reason").GetString()!;
        Assert.StartsWith("loop breaker: pull request ", reason, StringComparison.Ordinal);
        Assert.Contains("#7 already had 2 task(s) in the last 1h (budgets.loop_breaker.max_tasks_per_pull_request = 2); cancelled without running", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Model.ConversationRequests, r => r.Body.Contains("loop-three", StringComparison.Ordinal));
    }

    private async Task<(int Exit, string Output)> CliAsync(ServiceProcess service, CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "--config", _configs[^1] }.Concat(arguments).Concat(["--url", service.BaseUrl.ToString().TrimEnd('/')]))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLAUDE_HOOKS_HOME"] = fixture.Home;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, (await output) + (await error));
    }

    private async Task<ServiceProcess> StartAsync(JsonObject budgets)
    {
        // Beside the fixture's agents.json, so its relative paths (prompts, credentials) mean the same.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile))!.AsObject();
        config["budgets"] = budgets;
        var dev = config["agents"]!["dev"]!.AsObject();
        dev["runner"]!.AsObject()["model"] = "claude-sonnet-4-5";
        var file = Path.Combine(Path.GetDirectoryName(fixture.ConfigFile)!, $"budgets-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, config.ToJsonString());
        _configs.Add(file);
        _service = await ServiceProcess.StartAsync(file, fixture.Home, _data, ServiceProcess.FreePort());
        return _service;
    }

    private async Task<string> NewRepositoryAsync()
    {
        fixture.Git.RequiredToken = null;
        return await fixture.Git.CreateRepositoryAsync("it-owner", "budget-" + Guid.NewGuid().ToString("N")[..8], new Dictionary<string, string> { ["README.md"] = "# budgets\n" });
    }

    private static async Task<string> SubmitAsync(ServiceProcess service, object body)
    {
        using var response = await service.Client.PostAsJsonAsync("task", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"submit answered {(int)response.StatusCode}: {json}");
        return json.GetProperty("task_id").GetString()!;
    }

    private static Task<JsonElement> WaitForEndAsync(ServiceProcess service, string id, CancellationToken cancellationToken) =>
        WaitForAsync(service, id, t => t.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed_out", cancellationToken);

    private static async Task<JsonElement> WaitForAsync(ServiceProcess service, string id, Func<JsonElement, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            var task = await service.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cancellationToken);
            if (done(task))
            {
                return task;
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
