using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Hosting;

/// <summary>
/// <c>/metrics</c> of the real service process after a real task ran with the scripted model: what it counts agrees
/// with what the task API reports for that task, and the service's log, in JSON lines, has one line per transition of it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ServiceMetricsTests(DockerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-metrics-").FullName;
    private readonly string _config = Path.Combine(Path.GetDirectoryName(fixture.ConfigFile)!, $"agents-json-log-{Guid.NewGuid():N}.json");
    private ServiceProcess? _service;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        fixture.Model.Reset();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
        File.Delete(_config);
    }

    [SkippableFact]
    public async Task Metrics_AfterATaskSucceeded_AgreeWithTheTaskApi_AndTheJsonLogHasItsTransitions()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);

        // The fixture's config, with the service's log in JSON lines.
        var config = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile, cts.Token))!.AsObject();
        if (config["service"] is not System.Text.Json.Nodes.JsonObject service)
        {
            config["service"] = service = [];
        }

        service["log_format"] = "json";
        await File.WriteAllTextAsync(_config, config.ToJsonString(), cts.Token);
        _service = await ServiceProcess.StartAsync(_config, fixture.Home, _data, ServiceProcess.FreePort());
        var name = "metrics-" + Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", name, new Dictionary<string, string> { ["README.md"] = "# metrics\n" });
        fixture.Git.RequiredToken = fixture.DevToken;
        fixture.Model.EnqueueFor("metrics-marker",
            ScriptedTurn.Bash("echo metered > metered.txt && git add metered.txt && git commit -qm 'metered' && echo ok"),
            ScriptedTurn.Text("Metered."));

        using var submitted = await _service.Client.PostAsJsonAsync("task", new { agent = "dev", repo, prompt = "metrics-marker: meter this", thread = "issue-61" }, cts.Token);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).GetProperty("task_id").GetString()!;
        var task = await WaitForEndAsync(id, cts.Token);
        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        var outcome = task.GetProperty("outcome");

        // The egress log counts a decision once its record is stored, which is a moment after the request.
        var metrics = await ScrapeAsync(cts.Token);
        while (metrics.Value("claude_hooks_gateway_decisions_total", ("agent", "dev"), ("route", "model"), ("decision", "allowed")) is null)
        {
            await Task.Delay(250, cts.Token);
            metrics = await ScrapeAsync(cts.Token);
        }

        using var anonymous = new HttpClient { BaseAddress = _service.BaseUrl };
        using var unauthorized = await anonymous.GetAsync("metrics", cts.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);

        var text = await _service.Client.GetStringAsync("metrics", cts.Token);
        Assert.True(metrics.Names.Contains("claude_hooks_task_transitions_total"), text);
        foreach (var state in new[] { "queued", "running", "succeeded" })
        {
            Assert.True(metrics.Value("claude_hooks_task_transitions_total", ("agent", "dev"), ("state", state)) == 1, text);
        }

        Assert.Equal(1, metrics.Value("claude_hooks_tasks", ("agent", "dev"), ("state", "succeeded")));
        Assert.Equal(0, metrics.Value("claude_hooks_tasks", ("agent", "dev"), ("state", "running")));
        Assert.Equal(0, metrics.Value("claude_hooks_queue_depth", ("agent", "dev")));
        Assert.Equal(0, metrics.Value("claude_hooks_queue_oldest_age_seconds", ("agent", "dev")));

        Assert.Equal((double)outcome.GetProperty("cost_usd").GetDecimal(), metrics.Value("claude_hooks_task_cost_usd_total", ("agent", "dev"))!.Value, 9);
        Assert.Equal(1, metrics.Value("claude_hooks_task_run_duration_seconds_count", ("agent", "dev"), ("state", "succeeded")));
        Assert.Equal(outcome.GetProperty("duration_ms").GetInt64() / 1000.0, metrics.Value("claude_hooks_task_run_duration_seconds_sum", ("agent", "dev"), ("state", "succeeded"))!.Value, 6);
        using var usage = JsonDocument.Parse(outcome.GetProperty("usage_json").GetString()!);
        Assert.Equal(usage.RootElement.GetProperty("input_tokens").GetInt64(), metrics.Value("claude_hooks_task_tokens_total", ("agent", "dev"), ("type", "input")));
        Assert.Equal(usage.RootElement.GetProperty("output_tokens").GetInt64(), metrics.Value("claude_hooks_task_tokens_total", ("agent", "dev"), ("type", "output")));
        var sandboxesStarted = (metrics.Value("claude_hooks_sandbox_start_duration_seconds_count", ("agent", "dev"), ("warm", "true")) ?? 0)
            + (metrics.Value("claude_hooks_sandbox_start_duration_seconds_count", ("agent", "dev"), ("warm", "false")) ?? 0);
        Assert.True(sandboxesStarted >= 1, string.Join("\n", metrics.Names));

        // Bounded labels only: no task id or repository anywhere in the scrape.
        Assert.DoesNotContain(id, text, StringComparison.Ordinal);
        Assert.DoesNotContain(name, text, StringComparison.Ordinal);
        Assert.Equal(["dev"], metrics.LabelValues("claude_hooks_task_transitions_total", "agent"));

        // Every line the logger wrote is one JSON object; those of this task are its transitions.
        var entries = _service.Log.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var moves = entries.Where(e => e.TryGetProperty("fields", out var f) && f.TryGetProperty("TaskId", out var t) && t.GetString() == id).ToList();
        Assert.All(moves, m => Assert.Equal("ClaudeHooks.Tasks.TaskStateMachine", m.GetProperty("category").GetString()));
        Assert.Equal(["queued", "running", "succeeded"], moves.Select(m => m.GetProperty("fields").GetProperty("State").GetString()));
        Assert.Equal(["new", "queued", "running"], moves.Select(m => m.GetProperty("fields").GetProperty("From").GetString()));
        Assert.All(moves, m => Assert.Equal("dev", m.GetProperty("fields").GetProperty("Agent").GetString()));
        Assert.All(moves, m => Assert.Equal(repo, m.GetProperty("fields").GetProperty("Repository").GetString()));
        Assert.StartsWith("claimed by", moves[1].GetProperty("fields").GetProperty("Reason").GetString(), StringComparison.Ordinal);
        var end = moves[2].GetProperty("fields");
        Assert.Equal(outcome.GetProperty("cost_usd").GetDecimal(), end.GetProperty("CostUsd").GetDecimal());
        Assert.Equal(outcome.GetProperty("duration_ms").GetInt64() / 1000.0, end.GetProperty("DurationSeconds").GetDouble(), 6);
        Assert.Equal(JsonValueKind.Null, moves[0].GetProperty("fields").GetProperty("CostUsd").ValueKind);
        Assert.Contains($"task {id} running -> succeeded: agent dev, repository {repo}", moves[2].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private async Task<PrometheusText> ScrapeAsync(CancellationToken cancellationToken)
    {
        using var response = await _service!.Client.GetAsync("metrics", cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"/metrics answered {(int)response.StatusCode}: {text}");
        return PrometheusText.Parse(text);
    }

    private async Task<JsonElement> WaitForEndAsync(string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var task = await _service!.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cancellationToken);
            if (task.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed_out")
            {
                return task;
            }

            await Task.Delay(250, cancellationToken);
        }
    }
}
