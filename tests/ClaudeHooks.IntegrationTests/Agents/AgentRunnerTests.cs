using ClaudeHooks.Agents;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Agents;

/// <summary>The real Claude Code CLI in the dev agent's task sandboxes, against the scripted model and a real git remote.</summary>
[Collection(DockerCollection.Name)]
public sealed class AgentRunnerTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private string DevContainer => $"{fixture.Prefix}-dev";

    [SkippableFact]
    public async Task Run_AgentCommitsInItsCheckout_ThePushReachesTheRemote_AndEachThreadGetsItsOwn()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = fixture.DevToken;
        fixture.Model.Enqueue(
            ScriptedTurn.Bash("echo hello > hello.txt && git add hello.txt && git commit -qm 'add hello' && echo committed"),
            ScriptedTurn.Text("I added hello.txt and committed it."));

        var (task, outcome) = await RunAsync(repo, "issue-1", "Add a hello file.", cts.Token);

        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        Assert.Equal("I added hello.txt and committed it.", outcome.FinalText);
        Assert.Equal(2, outcome.Turns);
        Assert.True(outcome.CostUsd > 0);
        Assert.True(outcome.DurationMs > 0);
        Assert.Contains("\"input_tokens\"", outcome.UsageJson, StringComparison.Ordinal);
        Assert.Contains("inputTokens", outcome.ModelUsageJson, StringComparison.Ordinal);
        Assert.Equal("dev/issue-1", outcome.Branch);
        Assert.Equal($"/work/{RepositoryKey(repo)}/issue-1", outcome.Worktree);
        Assert.Equal(0, outcome.LeftoverProcesses);
        var pushed = Assert.Single(outcome.PushedCommits!);
        Assert.Equal("add hello", pushed.Subject);

        var bare = fixture.Git.BarePath("it-owner", RepoName(repo));
        Assert.Equal("add hello|it-dev", (await GitHttpServer.GitAsync(bare, "log", "-1", "--format=%s|%an", "refs/heads/dev/issue-1")).Trim());
        Assert.Equal(pushed.Sha, (await GitHttpServer.GitAsync(bare, "rev-parse", "refs/heads/dev/issue-1")).Trim());
        Assert.Contains("it-dev", fixture.Git.AuthenticatedUsers);
        Assert.Null(await fixture.Runtime.InspectAsync(SandboxName(task.Id), cts.Token));

        fixture.Model.Enqueue(ScriptedTurn.Bash("test ! -e hello.txt && git rev-parse --abbrev-ref HEAD"), ScriptedTurn.Text("looked"));
        var (secondTask, second) = await RunAsync(repo, "issue-2", "Look around.", cts.Token);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.NotEqual(outcome.Worktree, second.Worktree);
        Assert.Contains(await fixture.Store.GetEventsAsync(secondTask.Id, 0, cts.Token), e => e.Type == "user/tool_result" && e.Data.Contains("dev/issue-2", StringComparison.Ordinal));

        // The token is handed only to the service's own git in the agent's container, and is nowhere in it afterwards.
        var leaked = await fixture.Runtime.ExecAsync(DevContainer, ["sh", "-c", "grep -rlF -e \"$NEEDLE\" /state /home/claude /tmp 2>/dev/null; true"], [$"NEEDLE={fixture.DevToken}"], cancellationToken: cts.Token);
        Assert.Equal("", leaked.Stdout);

        var stored = await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token);
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(e => e.Seq));
        Assert.Equal(["runner/image", "runner/sandbox"], stored.Take(2).Select(e => e.Type));
        Assert.Contains("\"chosen_by\":\"images.default\"", stored[0].Data, StringComparison.Ordinal);
        Assert.Contains(stored, e => e.Type == "runner/checkout");
        Assert.Contains(stored, e => e.Type == "system/init");
        Assert.Contains(stored, e => e.Type == "assistant" && e.Data.Contains("\"tool_use\"", StringComparison.Ordinal));
        Assert.Contains(stored, e => e.Type == "user/tool_result" && e.Data.Contains("committed", StringComparison.Ordinal));
        Assert.Contains(stored, e => e.Type == "result");
        Assert.Equal("runner/sandbox-removed", stored[^2].Type);
        Assert.Equal("runner/outcome", stored[^1].Type);
    }

    [SkippableFact]
    public async Task Run_SecondPromptOnSameThread_ResumesInANewSandbox_WithOnlyThatThreadsTranscript()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        var marker = "remember-" + Guid.NewGuid().ToString("N")[..8];
        fixture.Model.Enqueue(ScriptedTurn.Text("Noted."));
        var (firstTask, first) = await RunAsync(repo, "pr-7", $"Please remember {marker}.", cts.Token);
        fixture.Model.Enqueue(ScriptedTurn.Text("Other thread."));
        var (_, other) = await RunAsync(repo, "pr-8", "Another thread of the same agent.", cts.Token);
        var before = fixture.Model.ConversationRequests.Count;

        fixture.Model.Enqueue(
            ScriptedTurn.Bash("find \"$CLAUDE_CONFIG_DIR/projects\" -name '*.jsonl' | sed 's|.*/||' | sort | tr '\\n' ' '"),
            ScriptedTurn.Text($"You asked me to remember {marker}."));
        var (task, second) = await RunAsync(repo, "pr-7", "What did I ask you to remember?", cts.Token);

        Assert.Equal(RunStatus.Succeeded, first.Status);
        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.True(second.Resumed);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(first.Worktree, second.Worktree);
        var resumed = fixture.Model.ConversationRequests.Skip(before).First();
        Assert.Contains(marker, resumed.Body, StringComparison.Ordinal);
        Assert.True(resumed.MessageCount >= 3, $"the resumed request carried {resumed.MessageCount} messages");
        var history = await fixture.Store.GetHistoryAsync(task.Id, cts.Token);
        Assert.Contains(history, h => h.Reason.StartsWith($"resuming session {first.SessionId}", StringComparison.Ordinal));

        // A new sandbox, holding this thread's transcript and no other.
        var events = await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token);
        var sandboxes = new[] { firstTask.Id, task.Id }.Select(SandboxName).ToList();
        Assert.NotEqual(sandboxes[0], sandboxes[1]);
        var listing = events.Single(e => e.Type == "user/tool_result").Data;
        Assert.Contains($"{first.SessionId}.jsonl", listing, StringComparison.Ordinal);
        Assert.DoesNotContain($"{other.SessionId}.jsonl", listing, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Run_TranscriptGone_StartsFreshAndSaysSo()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        fixture.Model.Enqueue(ScriptedTurn.Text("first"));
        var (_, first) = await RunAsync(repo, "issue-9", "one", cts.Token);
        var key = RepositoryKey(repo);
        var kept = await fixture.Store.GetTranscriptAsync("dev", key, "issue-9", cts.Token);
        Assert.Equal(first.SessionId, kept!.SessionId);
        Assert.Contains("\"one\"", System.Text.Encoding.UTF8.GetString(kept.Data), StringComparison.Ordinal);
        await fixture.Store.SaveTranscriptAsync(kept with { SessionId = Guid.NewGuid().ToString() }, cts.Token);

        fixture.Model.Enqueue(ScriptedTurn.Text("second"));
        var (task, second) = await RunAsync(repo, "issue-9", "two", cts.Token);

        Assert.Equal(RunStatus.Succeeded, second.Status);
        Assert.False(second.Resumed);
        Assert.NotEqual(first.SessionId, second.SessionId);
        var history = await fixture.Store.GetHistoryAsync(task.Id, cts.Token);
        Assert.Contains(history, h => h.Reason.Contains("cannot be resumed (the service holds no transcript of it)", StringComparison.Ordinal) && h.Reason.Contains(second.SessionId!, StringComparison.Ordinal));
        Assert.Equal(second.SessionId, (await fixture.Store.GetSessionAsync("dev", RepositoryKey(repo), "issue-9", cts.Token))!.SessionId);
    }

    [SkippableFact]
    public async Task Run_StalledModel_TripsIdleWatchdog_AndLeavesNoProcess()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        var baseline = await ProcessesAsync(cts.Token);
        fixture.Model.Enqueue(ScriptedTurn.Stall(TimeSpan.FromMinutes(2)));

        var (task, outcome) = await RunAsync(repo, "issue-stall", "Think hard.", cts.Token);

        Assert.Equal(RunStatus.TimedOut, outcome.Status);
        Assert.Contains("no output for 5s (agents.dev.runner.idle_timeout)", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, outcome.LeftoverProcesses);
        Assert.Equal(baseline, await ProcessesAsync(cts.Token));
        Assert.Null(await fixture.Runtime.InspectAsync(SandboxName(task.Id), cts.Token));
        Assert.Contains((await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token)), e => e.Type == "runner/stopping" && e.Data.Contains("Idle", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Run_CancelledMidRun_StopsAndLeavesNoProcess()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        var baseline = await ProcessesAsync(cts.Token);
        fixture.Model.Enqueue(ScriptedTurn.Bash("mkfifo /tmp/a /tmp/b && (cat /tmp/a &) && cat /tmp/b; echo never"));
        var task = await NewTaskAsync(repo, "issue-cancel", "Wait a long time.", cts.Token);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);

        var run = fixture.Runner().RunAsync(task, cancel.Token);
        while (!(await TaskProcessesAsync(task.Id, cts.Token)).Any(p => p.EndsWith("cat /tmp/b", StringComparison.Ordinal)))
        {
            if (run.IsCompleted)
            {
                var events = await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token);
                Assert.Fail($"the run ended before it could be cancelled: {(await run).Reason}\n{string.Join("\n", events.Select(e => $"{e.Type} {e.Data[..Math.Min(300, e.Data.Length)]}"))}");
            }

            await Task.Delay(200, cts.Token);
        }

        await cancel.CancelAsync();
        var outcome = await run;

        Assert.Equal(RunStatus.Cancelled, outcome.Status);
        Assert.Equal(0, outcome.LeftoverProcesses);
        Assert.Equal(baseline, await ProcessesAsync(cts.Token));
        Assert.Null(await fixture.Runtime.InspectAsync(SandboxName(task.Id), cts.Token));
    }

    [SkippableFact]
    public async Task Run_GarbageOrTruncatedOutput_FailsClearly_AndRunnerCarriesOn()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        var garbage = fixture.Runner(["sh", "-c", "echo 'this is not json'; printf '{\"type\":\"result\",\"subtype\":\"succ'"]);

        var task = await NewTaskAsync(repo, "issue-garbage", "anything", cts.Token);
        var outcome = await garbage.RunAsync(task, cts.Token);

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Contains("not valid stream-json (2 bad line(s); first: not JSON", outcome.Reason, StringComparison.Ordinal);
        var stored = await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token);
        Assert.Contains(stored, e => e.Type == "runner/malformed" && e.Data.Contains("truncated", StringComparison.Ordinal));

        fixture.Model.Enqueue(ScriptedTurn.Text("fine"));
        var (_, next) = await RunAsync(repo, "issue-garbage-2", "again", cts.Token);
        Assert.Equal(RunStatus.Succeeded, next.Status);
    }

    [SkippableFact]
    public async Task Run_Model401_IsAnAuthenticationErrorNamingAgentAndFix()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        fixture.Model.Enqueue(Enumerable.Repeat(ScriptedTurn.Error(401, "authentication_error", "invalid x-api-key"), 5).ToArray());

        var (task, outcome) = await RunAsync(repo, "issue-auth", "Hello?", cts.Token);
        fixture.Model.Reset();

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Contains("authentication failed for agent dev", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains($"write a valid API key to {fixture.Paths.Resolve("claude-auth/dev-key")}", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, outcome.LeftoverProcesses);
        Assert.Contains(await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token), e => e.Type == "system/api_retry");
    }

    [SkippableFact]
    public async Task Run_PinnedToAPullRequestsHead_ChecksOutExactlyThatCommitFromThePullRef_AndRefusesOnceTheRefMoved()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var repo = await NewRepositoryAsync();
        fixture.Git.RequiredToken = null;
        var bare = fixture.Git.BarePath("it-owner", RepoName(repo));

        // A fork's head exists in the base repository only as the forge's pull ref, not as any branch.
        var fork = await ShAsync(bare, "blob=$(echo fork-content | git hash-object -w --stdin) && tree=$(printf '100644 blob %s\\tfork-only.txt\\n' \"$blob\" | git mktree) && git commit-tree \"$tree\" -p main -m 'from a fork'");
        await GitHttpServer.GitAsync(bare, "update-ref", "refs/pull/7/head", fork);
        var main = (await GitHttpServer.GitAsync(bare, "rev-parse", "main")).Trim();
        fixture.Model.Enqueue(ScriptedTurn.Bash("git rev-parse HEAD && cat fork-only.txt"), ScriptedTurn.Text("reviewed"));

        var task = (await NewTaskAsync(repo, "pr-7-review", "Review it.", cts.Token)) with { BaseRef = "refs/pull/7/head", BaseCommit = fork };
        var outcome = await fixture.Runner().PerformAsync(task, cts.Token);

        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        var result = (await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token)).Single(e => e.Type == "user/tool_result").Data;
        Assert.Contains(fork, result, StringComparison.Ordinal);
        Assert.Contains("fork-content", result, StringComparison.Ordinal);

        // The task was queued for the head it saw; the ref points elsewhere now: nothing runs.
        var stale = (await NewTaskAsync(repo, "pr-7-stale", "Review it.", cts.Token)) with { BaseRef = "refs/pull/7/head", BaseCommit = main };
        var moved = await Assert.ThrowsAsync<ClaudeHooks.Workdir.HeadMovedException>(() => fixture.Runner().PerformAsync(stale, cts.Token));
        Assert.Equal(fork, moved.Actual);
        Assert.StartsWith(ClaudeHooks.Workdir.HeadMovedException.HeadMoved, moved.Message, StringComparison.Ordinal);
    }

    private static async Task<string> ShAsync(string directory, string script)
    {
        using var sh = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", script]) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await sh.StandardOutput.ReadToEndAsync();
        await sh.WaitForExitAsync();
        Assert.True(sh.ExitCode == 0, await sh.StandardError.ReadToEndAsync());
        return output.Trim();
    }

    private Task<(TaskRecord Task, RunOutcome Outcome)> RunAsync(string repo, string thread, string prompt, CancellationToken cancellationToken) =>
        fixture.RunToEndAsync("dev", repo, thread, prompt, cancellationToken);

    private Task<TaskRecord> NewTaskAsync(string repo, string thread, string prompt, CancellationToken cancellationToken) =>
        fixture.NewRunningTaskAsync(repo, thread, prompt, cancellationToken);

    private async Task<string> NewRepositoryAsync() =>
        await fixture.Git.CreateRepositoryAsync("it-owner", "repo-" + Guid.NewGuid().ToString("N")[..8], new Dictionary<string, string> { ["README.md"] = "# test\n" });

    private static string RepoName(string url) => url[(url.LastIndexOf('/') + 1)..^4];

    private string RepositoryKey(string url) => ClaudeHooks.Workdir.RepositoryUrl.Parse(url, allowLocal: false).Key;

    private Task<IReadOnlyList<string>> ProcessesAsync(CancellationToken cancellationToken) => fixture.DevProcessesAsync(cancellationToken);

    private string SandboxName(string taskId) => ResourceNames.Sandbox(fixture.Prefix, "dev", ResourceNames.TaskKey(taskId));

    /// <summary>The commands running in the task's sandbox, as the engine lists them (none when it has no sandbox).</summary>
    private async Task<IReadOnlyList<string>> TaskProcessesAsync(string taskId, CancellationToken cancellationToken)
    {
        if (await fixture.Runtime.InspectAsync(SandboxName(taskId), cancellationToken) is not { State.Running: true })
        {
            return [];
        }

        return (await fixture.Runtime.ProcessesAsync(SandboxName(taskId), cancellationToken)).Select(p => p.Command).ToList();
    }
}
