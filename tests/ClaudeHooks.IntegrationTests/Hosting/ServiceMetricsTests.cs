using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Hosting;

/// <summary>
/// <c>/metrics</c> of the real service process after a real task ran with the scripted model: what it counts agrees
/// with what the task API reports for that task, and the service's log has one line per transition of it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ServiceMetricsTests(DockerFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-metrics-").FullName;
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
    }

    [SkippableFact]
    public async Task Metrics_AfterATaskSucceeded_AgreeWithTheTaskApi_AndTheLogHasItsTransitions()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        _service = await ServiceProcess.StartAsync(fixture.ConfigFile, fixture.Home, _data, ServiceProcess.FreePort());
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

        var lines = _service.Log.Split('\n').Where(l => l.Contains($"task {id} ", StringComparison.Ordinal)).ToList();
        string Line(string move) => Assert.Single(lines, l => l.Contains(move, StringComparison.Ordinal));
        Assert.Contains($"agent dev, repository {repo}", Line("new -> queued"), StringComparison.Ordinal);
        Assert.Contains("reason: claimed by", Line("queued -> running"), StringComparison.Ordinal);
        var end = Line("running -> succeeded");
        Assert.Contains($"cost {outcome.GetProperty("cost_usd").GetDecimal().ToString(CultureInfo.InvariantCulture)} USD", end, StringComparison.Ordinal);
        Assert.Contains($"duration {(outcome.GetProperty("duration_ms").GetInt64() / 1000.0).ToString(CultureInfo.InvariantCulture)} s", end, StringComparison.Ordinal);
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
