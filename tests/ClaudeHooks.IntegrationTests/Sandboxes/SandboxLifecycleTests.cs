using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;
using ClaudeHooks.Workdir;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.IntegrationTests.Sandboxes;

/// <summary>The warm pool, cache pruning beside running tasks, and a sandbox that cannot be made.</summary>
[Collection(DockerCollection.Name)]
public sealed class SandboxLifecycleTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task WarmSandbox_KilledFromOutside_IsNeverUsed_AndIsReplaced()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = null;
        await fixture.Sandboxes.MaintainAsync(cts.Token);
        var killed = (await WarmAsync(cts.Token)).Single();
        await fixture.Docker.Containers.KillContainerAsync(killed.ID, new ContainerKillParameters(), cts.Token);

        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", "warm-" + Guid.NewGuid().ToString("N")[..8], new Dictionary<string, string> { ["README.md"] = "# warm\n" });
        fixture.Model.Enqueue(ScriptedTurn.Text("ran"));
        var task = await fixture.NewRunningTaskAsync(repo, "issue-91", "Run anywhere.", cts.Token);
        var outcome = await fixture.Runner().RunAsync(task, cts.Token);
        var used = JsonDocument.Parse((await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token)).First(e => e.Type == "runner/sandbox").Data).RootElement;

        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        Assert.False(used.GetProperty("warm").GetBoolean());
        Assert.Null(await fixture.Runtime.InspectAsync(killed.ID, cts.Token));

        await fixture.Sandboxes.MaintainAsync(cts.Token);
        var replacement = (await WarmAsync(cts.Token)).Single();
        Assert.NotEqual(killed.ID, replacement.ID);
        Assert.Equal("running", replacement.State);
        Assert.Equal(1, fixture.Sandboxes.WarmCount("dev"));
    }

    [SkippableFact]
    public async Task CachePrune_DuringARunningTask_LeavesItUntouched_AndRemovesAStaleCache()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = null;
        var id = Guid.NewGuid().ToString("N")[..8];
        var stale = await fixture.Git.CreateRepositoryAsync("it-owner", $"stale-{id}", new Dictionary<string, string> { ["README.md"] = "# stale\n" });
        fixture.Model.Enqueue(ScriptedTurn.Text("warmed the cache"));
        var (_, first) = await RunAsync(stale, "issue-92", "Look.", cts.Token);
        Assert.True(first.Status == RunStatus.Succeeded, first.Reason);

        var busy = await fixture.Git.CreateRepositoryAsync("it-owner", $"busy-{id}", new Dictionary<string, string> { ["README.md"] = "# busy\n" });
        fixture.Model.EnqueueFor($"prune-{id}",
            ScriptedTurn.Bash($"sleep 4; git log --oneline | wc -l; echo more >> README.md && git commit -qam 'during the prune' && echo committed-{id}"),
            ScriptedTurn.Text("survived"));
        var task = await fixture.NewRunningTaskAsync(busy, "issue-93", $"prune-{id}: work slowly.", cts.Token);
        var run = fixture.Runner().RunAsync(task, cts.Token);
        var sandbox = ResourceNames.Sandbox(fixture.Prefix, "dev", ResourceNames.TaskKey(task.Id));
        while (!(await fixture.SandboxProcessesAsync("dev", cts.Token)).Any(p => p.StartsWith("sleep 4", StringComparison.Ordinal)))
        {
            Assert.False(run.IsCompleted, "the task ended before the prune");
            await Task.Delay(100, cts.Token);
        }

        var pruned = await new RepositoryCache(fixture.Runtime).PruneAsync($"{fixture.Prefix}-dev", TimeSpan.Zero, new HashSet<string> { ResourceNames.TaskKey(task.Id) }, cts.Token);
        // While it still runs (the sandboxes are looked at first), audit sees its sandbox as serving a live task, hardened, and its Claude Code under the service's policy.
        var live = new HashSet<string> { ResourceNames.TaskKey(task.Id) };
        var audit = await new ContainerAuditor(fixture.Runtime, fixture.Config, fixture.Paths, fixture.Gateway, live).AuditAsync([fixture.Config.Find("dev")!], null, cts.Token);
        Assert.All(audit, f => Assert.True(f.Passed, $"{f.Check}: {f.Detail}"));
        Assert.Contains(audit, f => f.Check == $"sandbox {sandbox} hardening" && f.Detail.Contains("under the service's policy", StringComparison.Ordinal));

        var outcome = await run;
        var seen = string.Join("\n", (await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token)).Where(e => e.Type == "user/tool_result").Select(e => e.Data));

        Assert.Contains(pruned, p => p.Repository.EndsWith($"/busy-{id}", StringComparison.Ordinal) && !p.Removed && p.Detail.Contains("running task", StringComparison.Ordinal));
        Assert.Contains(pruned, p => p.Repository.EndsWith($"/stale-{id}", StringComparison.Ordinal) && p.Removed);
        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        Assert.Contains($"committed-{id}", seen, StringComparison.Ordinal);
        Assert.Equal("during the prune", Assert.Single(outcome.PushedCommits!).Subject);
        Assert.Null(await fixture.Runtime.InspectAsync(sandbox, cts.Token));

        // Once the task is over the cache is no longer held; the next prune may take it.
        var after = await new RepositoryCache(fixture.Runtime).PruneAsync($"{fixture.Prefix}-dev", TimeSpan.Zero, new HashSet<string>(), cts.Token);
        Assert.Contains(after, p => p.Repository.EndsWith($"/busy-{id}", StringComparison.Ordinal) && p.Removed);
    }

    [SkippableFact]
    public async Task Sandbox_ThatCannotBeCreated_FailsWithTheEnginesMessageAndTheFix_AndLeavesNothing()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = null;
        var dev = fixture.Config.Find("dev")!;
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", "broken-" + Guid.NewGuid().ToString("N")[..8], new Dictionary<string, string> { ["README.md"] = "# broken\n" });
        var before = (await fixture.Docker.Volumes.ListAsync(new VolumesListParameters { Filters = ResourceNames.Filter(fixture.Prefix) }, cts.Token)).Volumes!.Count;

        // An image that is not built fails the task before anything is made for it, with the command that builds it.
        var missing = fixture.Config with { Agents = [dev with { Image = "claude-hooks/no-such-image:gone", OwnImage = "claude-hooks/no-such-image:gone", WarmSandboxes = 0 }] };
        await using (var sandboxes = new SandboxManager(fixture.Runtime, missing, fixture.Gateway, NullLogger<SandboxManager>.Instance))
        {
            var runner = new AgentRunner(fixture.Runtime, sandboxes, fixture.Gateway, missing, fixture.Paths, fixture.Store, new TaskEventBus(fixture.Store), NullLogger<AgentRunner>.Instance);
            var task = await fixture.NewRunningTaskAsync(repo, "issue-94", "Never runs.", cts.Token);
            var outcome = await runner.RunAsync(task, cts.Token);

            Assert.Equal(RunStatus.Failed, outcome.Status);
            Assert.Contains("image claude-hooks/no-such-image:gone (chosen by the agent level: agents.dev.image) is not built; build it with 'docker build -t claude-hooks/no-such-image:gone", outcome.Reason, StringComparison.Ordinal);
            Assert.Null(await fixture.Runtime.InspectAsync(ResourceNames.Sandbox(fixture.Prefix, "dev", ResourceNames.TaskKey(task.Id)), cts.Token));
        }

        // One the engine refuses to create (a runtime it does not have) fails with the engine's message and the fix.
        var unknown = fixture.Config with { Agents = [dev with { Container = dev.Container with { Runtime = "no-such-runtime" }, WarmSandboxes = 0 }] };
        await using (var sandboxes = new SandboxManager(fixture.Runtime, unknown, fixture.Gateway, NullLogger<SandboxManager>.Instance))
        {
            var runner = new AgentRunner(fixture.Runtime, sandboxes, fixture.Gateway, unknown, fixture.Paths, fixture.Store, new TaskEventBus(fixture.Store), NullLogger<AgentRunner>.Instance);
            var task = await fixture.NewRunningTaskAsync(repo, "issue-95", "Never runs.", cts.Token);

            var error = await Assert.ThrowsAsync<SandboxException>(() => runner.RunAsync(task, cts.Token));

            Assert.Contains("runtime", error.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("install the runtime no-such-runtime in the engine or remove agents.dev.container.runtime", error.Message, StringComparison.Ordinal);
            Assert.Null(await fixture.Runtime.InspectAsync(ResourceNames.Sandbox(fixture.Prefix, "dev", ResourceNames.TaskKey(task.Id)), cts.Token));
        }

        Assert.Equal(before, (await fixture.Docker.Volumes.ListAsync(new VolumesListParameters { Filters = ResourceNames.Filter(fixture.Prefix) }, cts.Token)).Volumes!.Count);
    }

    private async Task<List<ContainerListResponse>> WarmAsync(CancellationToken cancellationToken) =>
        (await fixture.Sandboxes.ListAsync(fixture.Prefix, cancellationToken))
            .Where(c => c.Labels![ResourceNames.AgentLabel] == "dev" && c.Labels[ResourceNames.PoolLabel] == fixture.Sandboxes.PoolId)
            .Where(c => c.Names.Any(n => n.Contains("-warm-", StringComparison.Ordinal) && !n.Contains("-warm-probe-", StringComparison.Ordinal)))
            .ToList();

    private Task<(TaskRecord Task, RunOutcome Outcome)> RunAsync(string repo, string thread, string prompt, CancellationToken cancellationToken) =>
        fixture.RunToEndAsync("dev", repo, thread, prompt, cancellationToken);
}
