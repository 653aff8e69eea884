using System.Diagnostics;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Cli;

/// <summary><c>claude-hooks run</c> as a user runs it: a process of its own, a sandbox of its own, the branch pushed.</summary>
[Collection(DockerCollection.Name)]
public sealed class RunCommandTests(DockerFixture fixture)
{
    [SkippableFact]
    public async Task Run_OneTaskWithoutTheService_PushesItsCommit_AndLeavesNoSandbox()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        fixture.Git.RequiredToken = fixture.DevToken;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"run-{id}", new Dictionary<string, string> { ["README.md"] = "# run\n" });
        fixture.Model.EnqueueFor($"cli-run-{id}",
            ScriptedTurn.Bash("echo cli > cli.txt && git add cli.txt && git commit -qm 'from claude-hooks run' && echo ok"),
            ScriptedTurn.Text("Committed from the command line."));
        var data = Directory.CreateTempSubdirectory("claude-hooks-run-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "run", "--config", fixture.ConfigFile, "--data-dir", data, "--agent", "dev", "--repo", repo, "--thread", "issue-95", $"cli-run-{id}: add a file" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["CLAUDE_HOOKS_HOME"] = fixture.Home;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(cts.Token);
            var error = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);

            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await output}\n{await error}");
            Assert.Contains("succeeded", await output, StringComparison.Ordinal);
            Assert.Contains("pushed 1 commit(s)", await output, StringComparison.Ordinal);
            Assert.Equal("from claude-hooks run", (await GitHttpServer.GitAsync(fixture.Git.BarePath("it-owner", $"run-{id}"), "log", "-1", "--format=%s", "refs/heads/dev/issue-95")).Trim());
            Assert.DoesNotContain(await fixture.SandboxNamesAsync(cts.Token), n => !n.Contains("-warm-", StringComparison.Ordinal));
            Assert.DoesNotContain(await fixture.Sandboxes.ListAsync(fixture.Prefix, cts.Token), c => c.Labels![ResourceNames.PoolLabel] != fixture.Sandboxes.PoolId);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Run_OutputOfThreeTimesTheCap_StoresAtMostTheCapPlusTheMarker_AndEndsNormallySayingTruncated()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        fixture.Git.RequiredToken = null;
        const long cap = 64 * 1024;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"loud-{id}", new Dictionary<string, string> { ["README.md"] = "# loud\n" });
        var config = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile, cts.Token))!.AsObject();
        config["service"]!["max_task_event_bytes"] = cap;
        var configFile = Path.Combine(fixture.Home, $"loud-{id}.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString(), cts.Token);

        // Three times the cap in tool output (lines of 1000 characters), then a last turn and an answer.
        fixture.Model.EnqueueFor($"loud-{id}",
            ScriptedTurn.Bash("head -c 65536 /dev/zero | tr '\\0' a | fold -w 1000; echo first"),
            ScriptedTurn.Bash("head -c 65536 /dev/zero | tr '\\0' b | fold -w 1000; echo second"),
            ScriptedTurn.Bash("head -c 65536 /dev/zero | tr '\\0' c | fold -w 1000; echo third"),
            ScriptedTurn.Text("Printed a lot."));
        var data = Directory.CreateTempSubdirectory("claude-hooks-run-").FullName;
        try
        {
            var (exit, output) = await RunAsync(configFile, data, repo, $"loud-{id}: print a lot", cts.Token);
            var store = new ClaudeHooks.Tasks.SqliteTaskStore(await ClaudeHooks.Persistence.Database.OpenAndMigrateAsync(data, cts.Token), TimeProvider.System);
            var task = (await store.ListTasksAsync(new ClaudeHooks.Tasks.TaskQuery(null, null, null, 10, null), cts.Token)).Single();
            var events = await store.GetEventsAsync(task.Id, 0, cts.Token);
            var stored = events.Sum(e => (long)System.Text.Encoding.UTF8.GetByteCount(e.Data) + System.Text.Encoding.UTF8.GetByteCount(e.Type));
            var marker = Assert.Single(events, e => e.Type == "runner/events-truncated");
            using var outcome = System.Text.Json.JsonDocument.Parse(task.OutcomeJson!);

            Assert.True(exit == 0, output);
            Assert.Equal(ClaudeHooks.Tasks.TaskState.Succeeded, task.State);
            Assert.True(stored <= cap + marker.Data.Length + marker.Type.Length, $"{stored} bytes stored with a cap of {cap}");
            Assert.True(outcome.RootElement.GetProperty("events_truncated").GetProperty("dropped_events").GetInt64() > 0, task.OutcomeJson);
            Assert.Contains("Printed a lot.", outcome.RootElement.GetProperty("final_text").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Run_BesideAServiceOnTheSameDatabase_ExecutesOnce()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        fixture.Git.RequiredToken = null;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"beside-{id}", new Dictionary<string, string> { ["README.md"] = "# beside\n" });
        var config = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile, cts.Token))!.AsObject();
        config["service"] = new System.Text.Json.Nodes.JsonObject { ["lease"] = "3s" };

        // The service is killed at the end: it keeps no warm sandbox that would outlive it.
        foreach (var (_, agent) in config["agents"]!.AsObject())
        {
            agent!["warm_sandboxes"] = 0;
        }

        var configFile = Path.Combine(fixture.Home, $"beside-{id}.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString(), cts.Token);

        // Longer than the lease (so the service's recovery passes, every lease/2, see the run's task several times), shorter than the idle limit.
        fixture.Model.EnqueueFor($"beside-{id}",
            ScriptedTurn.Bash("sleep 4; echo once >> once.txt && git add once.txt && git commit -qm once && echo ok"),
            ScriptedTurn.Text("Ran once."));
        var data = Directory.CreateTempSubdirectory("claude-hooks-beside-").FullName;
        try
        {
            await using var service = await ServiceProcess.StartAsync(configFile, fixture.Home, data, ServiceProcess.FreePort());
            var (exit, output) = await RunAsync(configFile, data, repo, $"beside-{id}: run once", cts.Token);
            await Task.Delay(TimeSpan.FromSeconds(4), cts.Token);

            Assert.True(exit == 0, output + "\n" + service.Log);
            var database = await ClaudeHooks.Persistence.Database.OpenAndMigrateAsync(data, cts.Token);
            var store = new ClaudeHooks.Tasks.SqliteTaskStore(database, TimeProvider.System);
            var task = (await store.ListTasksAsync(new ClaudeHooks.Tasks.TaskQuery(null, "dev", null, 10, null), cts.Token)).Single();
            var history = await store.GetHistoryAsync(task.Id, cts.Token);
            Assert.Equal(ClaudeHooks.Tasks.TaskState.Succeeded, task.State);
            Assert.Equal(1, task.Attempt);
            Assert.Equal(2, history.Count);
            Assert.DoesNotContain("recovered", service.Log, StringComparison.Ordinal);
            Assert.Equal("1", (await GitHttpServer.GitAsync(fixture.Git.BarePath("it-owner", $"beside-{id}"), "rev-list", "--count", "refs/heads/dev/issue-97", "^main")).Trim());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    private async Task<(int Exit, string Output)> RunAsync(string configFile, string data, string repo, string prompt, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "run", "--config", configFile, "--data-dir", data, "--agent", "dev", "--repo", repo, "--thread", "issue-97", prompt })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLAUDE_HOOKS_HOME"] = fixture.Home;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, $"exit {process.ExitCode}\n{await output}\n{await error}");
    }
}
