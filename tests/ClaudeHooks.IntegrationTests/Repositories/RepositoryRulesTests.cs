using System.Net;
using System.Text.Json.Nodes;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// What a <c>repositories</c> entry decides besides the image, on the real service, with a config that sets no
/// <c>images.default</c> and no agent image: a task on a repository without an entry runs in the built-in base; an
/// entry naming an image that is not built fails its task before any sandbox is made, with the command that builds
/// it; an entry's <c>agents</c> refuses any other agent at submission; an entry's <c>runner.max_turns</c> below the
/// agent's is the limit the CLI runs under.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class RepositoryRulesTests(DockerFixture fixture, SharedService shared) : IClassFixture<SharedService>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private string PlainOwner => $"rules-plain-{shared.Id}";

    private string MissingOwner => $"rules-missing-{shared.Id}";

    private string ReviewedOwner => $"rules-reviewed-{shared.Id}";

    private string TurnsOwner => $"rules-turns-{shared.Id}";

    private string MissingImage => $"claude-hooks/custom-missing-{shared.Id}:latest";

    [SkippableFact]
    public async Task BuiltIn_NoLevelNamesAnImage_TheTaskRunsInTheBaseImage()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await NewRepositoryAsync(PlainOwner, "base");
        var marker = MarkerOf(repo);
        fixture.Model.EnqueueFor(marker, ScriptedTurn.Bash(MarkerImages.ReadMarker + "; cat /etc/claude-code/managed-settings.json >/dev/null && echo settings=ok"), ScriptedTurn.Text("no marker here"));
        var since = DateTimeOffset.UtcNow;

        var (id, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"{marker}: which image is this?", thread = "issue-1" }, cts.Token);

        Assert.True(task.GetProperty("state").GetString() == "succeeded", task.ToString());
        var chosen = TaskEvent.Single(events, "runner/image");
        Assert.Equal(Stacks.BaseImage, chosen.GetProperty("image").GetString());
        Assert.Equal("built-in", chosen.GetProperty("chosen_by").GetString());
        Assert.Equal("the built-in base image", chosen.GetProperty("source").GetString());
        var created = await EngineEvents.ContainersCreatedAsync(fixture.Docker, fixture.Prefix, since, DateTimeOffset.UtcNow, cts.Token);
        Assert.Contains((ResourceNames.Sandbox(fixture.Prefix, "dev", ResourceNames.TaskKey(id)), Stacks.BaseImage), created);
        var seen = Assert.Single(TaskEvent.ToolResults(events));
        Assert.Contains("No such file or directory", seen, StringComparison.Ordinal);
        Assert.Contains("settings=ok", seen, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ImageNotBuilt_FailsTheTaskBeforeAnySandboxIsMade_WithTheCommandThatBuildsIt()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await NewRepositoryAsync(MissingOwner, "missing");
        var marker = MarkerOf(repo);
        fixture.Model.EnqueueFor(marker, ScriptedTurn.Text("should never run"));
        var conversations = fixture.Model.ConversationRequests.Count;
        var since = DateTimeOffset.UtcNow;

        var (id, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"{marker}: anything", thread = "issue-1" }, cts.Token);

        Assert.Equal("failed", task.GetProperty("state").GetString());
        Assert.Equal(
            $"image {MissingImage} (chosen by the repository level: repositories.{RepositoryService.Pattern(fixture, MissingOwner)}.image) is not built; "
                + $"build it with 'claude-hooks images create missing-{shared.Id} --from STACK …', or see 'claude-hooks images resolve --agent dev --repo <repo>'",
            task.GetProperty("outcome").GetProperty("reason").GetString());
        Assert.Equal(MissingImage, TaskEvent.Single(events, "runner/image").GetProperty("image").GetString());
        Assert.DoesNotContain(events, e => e.Type is "runner/sandbox" or "runner/checkout" or "runner/start");
        Assert.Equal(conversations, fixture.Model.ConversationRequests.Count);

        // The engine never made a container for it (one made and removed at once would still be in its event log).
        var created = await EngineEvents.ContainersCreatedAsync(fixture.Docker, fixture.Prefix, since, DateTimeOffset.UtcNow, cts.Token);
        Assert.DoesNotContain(created, c => c.Name.Contains(ResourceNames.TaskKey(id), StringComparison.Ordinal) || c.Image == MissingImage);
    }

    [SkippableFact]
    public async Task AgentNotInTheEntrysAgents_IsRefusedAtSubmit_NamingTheKey_AndAListedAgentRuns()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await NewRepositoryAsync(ReviewedOwner, "reviewed");
        var marker = MarkerOf(repo);
        var before = await service.CountTasksAsync();

        var (status, problem) = await service.PostTaskAsync(new { agent = "dev", repo, prompt = $"{marker}: change it", thread = "issue-1" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = problem.GetProperty("errors").GetProperty("agent")[0].GetString()!;
        Assert.Contains($"agent dev may not work on this repository (repositories.{RepositoryService.Pattern(fixture, ReviewedOwner)}.agents lists reviewer)", message, StringComparison.Ordinal);
        Assert.Equal(before, await service.CountTasksAsync());

        // The reviewer's own forge token fetches the repository; the git remote here checks the dev agent's.
        fixture.Git.RequiredToken = null;
        fixture.Model.EnqueueFor(marker, ScriptedTurn.Text("Looks fine."));
        var (_, reviewed, _) = await service.RunAsync(new { agent = "reviewer", repo, prompt = $"{marker}: review it", thread = "pr-1" }, cts.Token);
        Assert.True(reviewed.GetProperty("state").GetString() == "succeeded", reviewed.ToString());
    }

    [SkippableFact]
    public async Task EntrysMaxTurns_BelowTheAgents_IsWhatTheCliRunsUnder()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await NewRepositoryAsync(TurnsOwner, "turns");
        var marker = MarkerOf(repo);
        fixture.Model.EnqueueFor(marker, ScriptedTurn.Bash("echo turn-one"), ScriptedTurn.Bash("echo turn-two"), ScriptedTurn.Bash("echo turn-three"), ScriptedTurn.Text("done"));

        var (_, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"{marker}: take three turns", thread = "issue-1" }, cts.Token);

        var argv = TaskEvent.Single(events, "runner/start").GetProperty("argv").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Contains("--max-turns=2", argv);
        Assert.DoesNotContain(argv, a => a!.StartsWith("--max-turns=", StringComparison.Ordinal) && a != "--max-turns=2");
        Assert.Equal(10, fixture.Config.Find("dev")!.Runner.MaxTurns);

        // The CLI stopped at the entry's limit: two turns ran, the third never did.
        Assert.Equal("failed", task.GetProperty("state").GetString());
        var reason = task.GetProperty("outcome").GetProperty("reason").GetString()!;
        Assert.True(reason.StartsWith($"stopped at the turn limit (2, repositories.{RepositoryService.Pattern(fixture, TurnsOwner)}.runner.max_turns) after ", StringComparison.Ordinal), reason);
        var results = string.Join("\n", TaskEvent.ToolResults(events));
        Assert.Contains("turn-two", results, StringComparison.Ordinal);
        Assert.DoesNotContain("turn-three", results, StringComparison.Ordinal);
    }

    private async Task<string> NewRepositoryAsync(string owner, string kind)
    {
        fixture.Git.RequiredToken = fixture.DevToken;
        return await fixture.Git.CreateRepositoryAsync(owner, $"{kind}-{Guid.NewGuid().ToString("N")[..8]}", new Dictionary<string, string> { ["README.md"] = "# rules\n" });
    }

    /// <summary>The repository's name, unique in this run: the scripted model's key for the task's conversation.</summary>
    private static string MarkerOf(string repo) => repo[(repo.LastIndexOf('/') + 1)..^4];

    private Task<RepositoryService> ServiceAsync() => shared.GetAsync(() => RepositoryService.StartAsync(fixture, config =>
    {
        config.Remove("images");
        config["repositories"] = new JsonObject
        {
            [RepositoryService.Pattern(fixture, MissingOwner)] = new JsonObject { ["image"] = MissingImage },
            [RepositoryService.Pattern(fixture, ReviewedOwner)] = new JsonObject { ["agents"] = new JsonArray("reviewer") },
            [RepositoryService.Pattern(fixture, TurnsOwner)] = new JsonObject { ["runner"] = new JsonObject { ["max_turns"] = 2 } },
        };
    }));
}
