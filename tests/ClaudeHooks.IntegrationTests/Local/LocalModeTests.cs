using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Containers;
using ClaudeHooks.Gateway;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Local;

/// <summary>
/// A local agent's tasks end to end without an engine (every engine address given points at a socket that does not
/// exist): the real CLI on the host, driven by the scripted model through the gateway, in a fresh folder of its own.
/// </summary>
[Collection(LocalCollection.Name)]
public sealed class LocalModeTests(LocalFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>What the CLI's environment may hold: what the runner sets, and what the recording shell adds.</summary>
    private static readonly HashSet<string> AllowedVariables = new(StringComparer.Ordinal)
    {
        "PATH", "LANG", "TZ", "HOME", "CLAUDE_CONFIG_DIR", "DISABLE_AUTOUPDATER", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
        "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy",
        "GIT_TERMINAL_PROMPT", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", LocalRunner.MarkerVariable,
        "PWD", "OLDPWD", "SHLVL", "_",
    };

    [SkippableFact]
    public async Task Run_LocalAgentWithoutAnEngine_CommitLandsOnItsBranch_TheCredentialComesOnlyFromTheGateway_AndItsHomeWasEmptyAndIsGone()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"local-{id}", new Dictionary<string, string> { ["README.md"] = "# local\n" });
        fixture.Git.RequiredToken = fixture.DevToken;
        fixture.Model.EnqueueFor($"local-run-{id}",
            ScriptedTurn.Bash("echo local > local.txt && git add local.txt && git commit -qm 'from a local run' && echo committed"),
            ScriptedTurn.Text("Committed on the host."));
        var data = Directory.CreateTempSubdirectory("claude-hooks-local-data-").FullName;
        var sentinel = "service-only-" + id;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "run", "--config", fixture.ConfigFile, "--data-dir", data, "--agent", "dev", "--repo", repo, "--thread", "issue-5", $"local-run-{id}: add a file" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["CLAUDE_HOOKS_HOME"] = fixture.Home;
            start.Environment["DOCKER_HOST"] = $"unix:///tmp/claude-hooks-no-engine-{id}.sock";
            start.Environment["CLAUDE_HOOKS_TEST_SENTINEL"] = sentinel;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(cts.Token);
            var error = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);
            var printed = $"exit {process.ExitCode}\n{await output}\n{await error}";

            var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(data, cts.Token), TimeProvider.System);
            var task = (await store.ListTasksAsync(new TaskQuery(null, null, null, 10, null), cts.Token)).Single();
            var events = await store.GetEventsAsync(task.Id, 0, cts.Token);
            Assert.True(process.ExitCode == 0, printed + "\n" + string.Join("\n", events.Select(e => $"{e.Type} {e.Data[..Math.Min(400, e.Data.Length)]}")));
            Assert.Contains("pushed 1 commit(s)", printed, StringComparison.Ordinal);

            // The commit is on the task's branch, pushed through the gateway, which added the agent's token.
            var bare = fixture.Git.BarePath("it-owner", $"local-{id}");
            Assert.Equal("from a local run|it-local-dev", (await GitHttpServer.GitAsync(bare, "log", "-1", "--format=%s|%an", "refs/heads/dev/issue-5")).Trim());
            Assert.Contains("it-local-dev", fixture.Git.AuthenticatedUsers);
            Assert.Equal("# local\n", await GitHttpServer.GitAsync(bare, "show", "main:README.md"));
            Assert.Equal("1", (await GitHttpServer.GitAsync(bare, "rev-list", "--count", "main")).Trim());

            // The model saw the real credential only, which the gateway added; the CLI held the placeholder.
            var requests = fixture.Model.Requests.Where(r => r.Body.Contains($"local-run-{id}", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(requests);
            Assert.All(requests, r => Assert.Equal(LocalFixture.ApiKey, r.Header("x-api-key")));
            Assert.All(requests, r => Assert.Null(r.Header("authorization")));

            var record = Assert.Single(fixture.RecordsOf(ResourceNames.TaskKey(task.Id)));
            Assert.Equal(ModelCredential.Placeholder, record.Environment["ANTHROPIC_API_KEY"]);
            Assert.StartsWith("http://127.0.0.1:", record.Environment["ANTHROPIC_BASE_URL"], StringComparison.Ordinal);
            Assert.Equal(record.Environment["ANTHROPIC_BASE_URL"], record.Environment["HTTPS_PROXY"]);
            Assert.Equal(Path.Combine(record.HomePath, ".claude"), record.Environment["CLAUDE_CONFIG_DIR"]);
            Assert.All(record.Environment.Keys, k => Assert.Contains(k, AllowedVariables));
            Assert.DoesNotContain(record.Environment.Values, v => v.Contains(LocalFixture.ApiKey, StringComparison.Ordinal) || v.Contains(fixture.DevToken, StringComparison.Ordinal) || v.Contains(sentinel, StringComparison.Ordinal));
            Assert.Equal("", record.HomeListing);
            Assert.False(Directory.Exists(record.HomePath), $"{record.HomePath} is still there");
            if (LocalFixture.IsRoot)
            {
                Assert.Equal(65534, record.Uid);
            }

            var removed = events.Single(e => e.Type == "runner/local-removed");
            Assert.Contains("\"removed\":true", removed.Data, StringComparison.Ordinal);
            Assert.Contains("\"leftover_processes\":0", removed.Data, StringComparison.Ordinal);
            Assert.Equal("runner/outcome", events[^1].Type);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Run_HostileTurns_CannotReadTheServicesTokenFiles_AndAPushToMainIsRefusedByTheGateway()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Skip.If(!LocalFixture.IsRoot && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
            "NOT ROOT: the CLI runs as the service's own user, who can read the service's token files; this test needs root to run it as another user");
        using var cts = new CancellationTokenSource(Timeout);
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"hostile-{id}", new Dictionary<string, string> { ["README.md"] = "# hostile\n" });
        var mainBefore = (await GitHttpServer.GitAsync(fixture.Git.BarePath("it-owner", $"hostile-{id}"), "rev-parse", "main")).Trim();
        fixture.Git.RequiredToken = fixture.DevToken;
        var tokens = Path.Combine(fixture.Home, "tokens", "dev");
        var key = Path.Combine(fixture.Home, "claude-auth", "dev-key");
        fixture.Model.EnqueueFor($"hostile-{id}",
            ScriptedTurn.Bash($"cat '{tokens}' '{key}' 2>&1; echo read-exit=$?"),
            ScriptedTurn.Bash("echo x > x.txt && git add x.txt && git commit -qm 'x' && git push origin HEAD:refs/heads/main 2>&1; echo push-exit=$?"),
            ScriptedTurn.Text("Tried."));
        var task = await fixture.NewRunningTaskAsync(repo, "issue-6", $"hostile-{id}: take what you can", cts.Token);

        var outcome = await fixture.Runner().PerformAsync(task, cts.Token);

        var events = await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token);
        var results = events.Where(e => e.Type == "user/tool_result").Select(e => e.Data).ToList();
        Assert.True(results.Count == 2, string.Join("\n", events.Select(e => $"{e.Type} {e.Data[..Math.Min(400, e.Data.Length)]}")));
        Assert.Contains("Permission denied", results[0], StringComparison.Ordinal);
        Assert.Contains("read-exit=1", results[0], StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.DevToken, string.Concat(events.Select(e => e.Data)), StringComparison.Ordinal);
        Assert.DoesNotContain(LocalFixture.ApiKey, string.Concat(events.Select(e => e.Data)), StringComparison.Ordinal);
        Assert.Contains("claude-hooks policy", results[1], StringComparison.Ordinal);
        Assert.Contains("push-exit=1", results[1], StringComparison.Ordinal);
        Assert.Contains(events, e => e.Type == "gateway/denied" && e.Data.Contains("refs/heads/main", StringComparison.Ordinal));

        // main is untouched; the task's own commit went to its branch, by the same gateway rule.
        var bare = fixture.Git.BarePath("it-owner", $"hostile-{id}");
        Assert.Equal(mainBefore, (await GitHttpServer.GitAsync(bare, "rev-parse", "main")).Trim());
        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        Assert.Equal("x", (await GitHttpServer.GitAsync(bare, "log", "-1", "--format=%s", "refs/heads/dev/issue-6")).Trim());
        await fixture.Egress.FlushAsync(cts.Token);
        var egress = await fixture.Egress.QueryAsync(new EgressQuery(null, task.Id, null, null, null, 1000), cts.Token);
        Assert.Contains(egress, r => r.Route == EgressRecord.ModelRoute && r.Decision == EgressRecord.Allowed);
        Assert.Contains(egress, r => r.Route == EgressRecord.GitRoute && r.Decision == EgressRecord.Denied && r.Rule.Contains("push policy", StringComparison.Ordinal));
        Assert.Equal(0, outcome.LeftoverProcesses);
        Assert.Equal(65534, Assert.Single(fixture.RecordsOf(ResourceNames.TaskKey(task.Id))).Uid);
    }

    [SkippableFact]
    public async Task Run_CancelledMidRun_KillsTheCliAndWhatItStarted_OutsideItsProcessGroupToo()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"cancel-{id}", new Dictionary<string, string> { ["README.md"] = "# cancel\n" });
        fixture.Git.RequiredToken = fixture.DevToken;
        var seconds = Random.Shared.Next(7000, 7900);
        string[] sleepers = [$"{seconds}", $"{seconds + 1}", $"{seconds + 2}"];
        fixture.Model.EnqueueFor($"cancel-{id}", ScriptedTurn.Bash($"setsid sleep {sleepers[0]} </dev/null >/dev/null 2>&1 & (sleep {sleepers[1]} &); sleep {sleepers[2]}; echo never"));
        var task = await fixture.NewRunningTaskAsync(repo, "issue-7", $"cancel-{id}: wait", cts.Token);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);

        var run = fixture.Runner().PerformAsync(task, cancel.Token);
        while (Sleeping(sleepers).Count < sleepers.Length)
        {
            Assert.False(run.IsCompleted, $"the run ended before it could be cancelled: {(run.IsCompleted ? (await run).Reason : "")}");
            await Task.Delay(200, cts.Token);
        }

        await cancel.CancelAsync();
        var outcome = await run;

        Assert.Equal(RunStatus.Cancelled, outcome.Status);
        Assert.Empty(Sleeping(sleepers));
        Assert.Equal(0, outcome.LeftoverProcesses);
        var events = await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token);
        Assert.Contains(events, e => e.Type == "runner/stopping" && e.Data.Contains("Cancelled", StringComparison.Ordinal));
        Assert.Contains("\"removed\":true", events.Single(e => e.Type == "runner/local-removed").Data, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Serve_LocalAgent_RunsASubmittedTask_AndHealthSaysModeLocalWithTheWarning()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);

        // serve itself still needs an engine (its worker reaps sandboxes at start), though no agent here has any.
        using (var docker = DockerConnection.Create())
        {
            try
            {
                await DockerConnection.EnsureReachableAsync(docker, cts.Token);
            }
            catch (EngineUnavailableException e) when (!string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Skip.If(true, $"NO DOCKER ENGINE: serve needs one even when every agent is local ({e.Message})");
            }
        }

        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"served-{id}", new Dictionary<string, string> { ["README.md"] = "# served\n" });
        fixture.Git.RequiredToken = fixture.DevToken;
        fixture.Model.EnqueueFor($"served-{id}",
            ScriptedTurn.Bash("echo served > served.txt && git add served.txt && git commit -qm 'served locally' && echo ok"),
            ScriptedTurn.Text("Done."));
        var data = Directory.CreateTempSubdirectory("claude-hooks-local-serve-").FullName;
        try
        {
            await using var service = await ServiceProcess.StartAsync(fixture.ConfigFile, fixture.Home, data, ServiceProcess.FreePort());
            using var health = await service.Client.GetAsync("api/health", cts.Token);
            var body = await health.Content.ReadFromJsonAsync<JsonElement>(cts.Token);

            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("local", body.GetProperty("mode").GetString());
            Assert.Equal("local", body.GetProperty("agents")[0].GetProperty("mode").GetString());
            Assert.StartsWith("local mode: agent(s) dev run Claude Code as a host process", body.GetProperty("localModeWarning").GetString(), StringComparison.Ordinal);
            Assert.Contains("WARNING: local mode: agent(s) dev", service.Log, StringComparison.Ordinal);

            using var submitted = await service.Client.PostAsJsonAsync("task", new { agent = "dev", repo, prompt = $"served-{id}: add a file", thread = "issue-8" }, cts.Token);
            var taskId = (await submitted.Content.ReadFromJsonAsync<JsonElement>(cts.Token)).GetProperty("task_id").GetString();
            JsonElement task;
            do
            {
                await Task.Delay(250, cts.Token);
                task = await service.Client.GetFromJsonAsync<JsonElement>($"task/{taskId}", cts.Token);
            }
            while (task.GetProperty("state").GetString() is "queued" or "running");

            Assert.True(task.GetProperty("state").GetString() == "succeeded", task.ToString() + "\n" + service.Log);
            Assert.Equal("served locally", (await GitHttpServer.GitAsync(fixture.Git.BarePath("it-owner", $"served-{id}"), "log", "-1", "--format=%s", "refs/heads/dev/issue-8")).Trim());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The pids of the running <c>sleep N</c> processes among <paramref name="durations"/>.</summary>
    private static List<int> Sleeping(IReadOnlyCollection<string> durations)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var argv = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                if (argv is [var program, var duration] && program.EndsWith("sleep", StringComparison.Ordinal) && durations.Contains(duration) && stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z')
                {
                    found.Add(int.Parse(Path.GetFileName(directory), System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }

        return found;
    }
}
