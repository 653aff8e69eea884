using System.Diagnostics;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// The forge flow's writes against the fake Forgejo (real git behind it) and a real store, with every kind of write
/// answered 502 after the forge applied it: each effect exists once, and the flow goes on to the next agent.
/// </summary>
public sealed class ForgeOutboxTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, string> _tokens = new() { ["dev"] = "t-dev", ["reviewer"] = "t-reviewer", ["boss"] = "t-lead" };
    private GitHttpServer? _git;
    private FakeForgejo? _forge;

    private FakeForgejo Forge => _forge!;

    public async Task InitializeAsync()
    {
        _git = await GitHttpServer.StartAsync("127.0.0.1");
        var repo = "outbox-" + Guid.NewGuid().ToString("N")[..8];
        await _git.CreateRepositoryAsync("it-owner", repo, new Dictionary<string, string> { ["README.md"] = "# outbox\n" });
        _forge = await FakeForgejo.StartAsync("127.0.0.1", _git, repo);
        Forge.AddUser("dev-bot", "t-dev", "write");
        Forge.AddUser("review-bot", "t-reviewer", "write");
        Forge.AddUser("lead-bot", "t-lead", "write");
    }

    public async Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await Forge.DisposeAsync();
        await _git!.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task EveryWrite_AnsweredBadGatewayAfterTheForgeAppliedIt_HappensOnce_AndTheFlowGoesOn()
    {
        var (config, store, flows, outbox, machine) = await FlowAsync();
        var dev = config.Find("dev")!;
        var issue = Forge.CreateIssue("Add a greeting", "Please.", "alice");
        var implement = await flows.QueueAsync(ForgeRouter.ImplementWork(dev, Forge.FullName, issue, "alice"), "test", "Add a greeting", "Please.", CancellationToken.None);

        // The dev's task starts: its tracking comment is created, and the answer lost.
        Forge.FailAfterApply = new HashSet<ForgeWriteKind> { ForgeWriteKind.Comment, ForgeWriteKind.EditComment, ForgeWriteKind.Pull, ForgeWriteKind.ReviewRequest, ForgeWriteKind.Review, ForgeWriteKind.Merge };
        var task = (await machine.ClaimAsync("dev", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;
        await DrainAsync(outbox);

        // It pushed its branch and succeeds: the pull request, the review request, the final edit.
        await GitAsync(Forge.BarePath, "branch", "dev/issue-" + issue, "main");
        Assert.True(await machine.FinishAsync(task, "w", Outcome("Added greeting.txt.") with { Branch = "dev/issue-" + issue, PushedCommits = [new PushedCommit("abc", "Add greeting")] }, CancellationToken.None));
        await DrainAsync(outbox);

        var review = (await store.ListTasksAsync(new TaskQuery(TaskState.Queued, "reviewer", null, 10, null), CancellationToken.None)).Single();
        var reviewTask = (await machine.ClaimAsync("reviewer", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;
        Assert.True(await machine.FinishAsync(reviewTask, "w", Outcome("Fine.\n```json\n{\"verdict\":\"approve\",\"body\":\"Looks good.\"}\n```"), CancellationToken.None));
        await DrainAsync(outbox);

        // The lead's merge: applied, its answer lost, found merged on the forge.
        var merge = (await machine.ClaimAsync("boss", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;
        var merged = await new MergePerformer(config, store, flows, outbox, _clock).PerformAsync(merge, CancellationToken.None);
        await DrainAsync(outbox);

        Assert.Empty(Forge.FailAfterApply);
        Assert.Equal(RunStatus.Succeeded, merged.Status);
        Assert.Single(Forge.CommentsOn(issue), c => c.User == "dev-bot" && c.Body.Contains($"claude-hooks:track:{implement}", StringComparison.Ordinal));
        Assert.Contains($"#{issue + 1}", Forge.CommentsOn(issue).Single().Body, StringComparison.Ordinal);
        Assert.Equal(1, Writes("POST", "/pulls"));
        Assert.Equal(1, Writes("POST", "/requested_reviewers"));
        Assert.Equal(1, Writes("POST", "/reviews"));
        Assert.Equal(1, Writes("POST", "/merge"));
        Assert.Equal(review.Id, reviewTask.Id);
        Assert.All(await store.ListIntentsAsync(implement!, CancellationToken.None), i => Assert.Equal(StoredIntent.Done, i.State));
        Assert.All(await store.ListIntentsAsync(reviewTask.Id, CancellationToken.None), i => Assert.Equal(StoredIntent.Done, i.State));
    }

    [Fact]
    public async Task AWriteTheForgeRefuses_FailsAtOnce_WithANoteInTheTaskHistory()
    {
        var (config, store, flows, outbox, machine) = await FlowAsync();
        var issue = Forge.CreateIssue("Refused", "x", "alice");
        var id = await flows.QueueAsync(ForgeRouter.ImplementWork(config.Find("dev")!, Forge.FullName, issue, "alice"), "test", "Refused", "x", CancellationToken.None);
        await store.RecordIntentsAsync([new ForgeIntent("comment:refused", id, Forge.FullName, "dev", ForgeIntent.Comment, """{"number": 999, "body": "on an issue that does not exist"}""")], CancellationToken.None);

        await outbox.RunDueAsync(CancellationToken.None);

        var intent = (await store.GetIntentAsync("comment:refused", CancellationToken.None))!;
        Assert.Equal(StoredIntent.Failed, intent.State);
        Assert.Equal(1, intent.Attempts);
        Assert.Equal(1, Writes("POST", "/issues/999/comments"));
        Assert.Contains((await store.GetHistoryAsync(id!, CancellationToken.None)), h => h.Reason.Contains("the forge refused it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Merge_OnAnApprovalPostedWithTheReviewersTokenButNoReviewTask_IsRefused_AndNoMergeCallIsMade()
    {
        var (config, store, flows, outbox, machine) = await FlowAsync();
        var (pull, merge) = await PullWithMergeTaskAsync(config, flows, machine);
        var reviewer = new ForgejoClient(new HttpClient(), Forge.Url, "t-reviewer");
        await reviewer.CreateReviewAsync(Forge.FullName, pull.Number, new ReviewSubmission("APPROVED", "LGTM", pull.Head.Sha, []), CancellationToken.None);

        var outcome = await new MergePerformer(config, store, flows, outbox, _clock).PerformAsync(merge, CancellationToken.None);

        Assert.Equal(RunStatus.Failed, outcome.Status);
        Assert.Contains("no review task of the service has given a verdict on it", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, Writes("POST", "/merge"));
    }

    [Fact]
    public async Task Merge_NeedingAHumanApproval_WaitsForOneByAnAuthorisedPerson_OnTheCurrentHead()
    {
        var (config, store, flows, outbox, machine) = await FlowAsync(humanApproval: true);
        Forge.AddUser("alice", "t-alice", "write");
        Forge.AddUser("mallory", "t-mallory", "read");
        var (pull, merge) = await PullWithMergeTaskAsync(config, flows, machine);
        var reviewTask = (await store.ListTasksAsync(new TaskQuery(null, "reviewer", null, 10, null), CancellationToken.None)).Single();
        await store.SetVerdictAsync(reviewTask.Id, "APPROVED", (await new ForgejoClient(new HttpClient(), Forge.Url, "t-reviewer")
            .CreateReviewAsync(Forge.FullName, pull.Number, new ReviewSubmission("APPROVED", "ok", pull.Head.Sha, []), CancellationToken.None)).Id, CancellationToken.None);
        await new ForgejoClient(new HttpClient(), Forge.Url, "t-mallory").CreateReviewAsync(Forge.FullName, pull.Number, new ReviewSubmission("APPROVED", "me too", pull.Head.Sha, []), CancellationToken.None);
        var performer = new MergePerformer(config, store, flows, outbox, _clock);

        var withoutHuman = await performer.PerformAsync(merge, CancellationToken.None);
        await new ForgejoClient(new HttpClient(), Forge.Url, "t-alice").CreateReviewAsync(Forge.FullName, pull.Number, new ReviewSubmission("APPROVED", "yes", pull.Head.Sha, []), CancellationToken.None);
        var withHuman = await performer.PerformAsync(merge, CancellationToken.None);

        Assert.Equal(RunStatus.Failed, withoutHuman.Status);
        Assert.Contains("merge_requires_human_approval", withoutHuman.Reason, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Succeeded, withHuman.Status);
        Assert.Equal(1, Writes("POST", "/merge"));
    }

    [Fact]
    public async Task Review_OfAHeadThatMovedMeanwhile_IsPostedForTheReviewedCommit_QueuesAReviewOfTheNewHead_AndMergesNothing()
    {
        var (config, store, flows, outbox, machine) = await FlowAsync();
        var issue = Forge.CreateIssue("Change", "x", "alice");
        await GitAsync(Forge.BarePath, "branch", "dev/issue-" + issue, "main");
        var pull = await new ForgejoClient(new HttpClient(), Forge.Url, "t-dev").CreateOrGetPullAsync(Forge.FullName, "dev/issue-" + issue, "main", "Change", "body", CancellationToken.None);
        await flows.QueueAsync(ForgeRouter.ReviewWork(config.Find("reviewer")!, Forge.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, "alice"), "test", null, null, CancellationToken.None);
        var review = (await machine.ClaimAsync("reviewer", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;

        // A new commit lands on the head branch while the review runs.
        await GitAsync(Forge.BarePath, "update-ref", "refs/heads/dev/issue-" + issue, (await GitHttpServer.GitAsync(Forge.BarePath, "commit-tree", "-p", pull.Head.Sha, "-m", "later", pull.Head.Sha + "^{tree}")).Trim());
        Assert.True(await machine.FinishAsync(review, "w", Outcome("```json\n{\"verdict\":\"approve\",\"body\":\"ok\"}\n```"), CancellationToken.None));
        await DrainAsync(outbox);

        var posted = System.Text.Json.Nodes.JsonNode.Parse(Forge.Calls.Single(c => c.Method == "POST" && c.Path.EndsWith("/reviews", StringComparison.Ordinal)).Body)!;
        var moved = await new ForgejoClient(new HttpClient(), Forge.Url, "t-dev").GetPullAsync(Forge.FullName, pull.Number, CancellationToken.None);
        var queued = await store.ListTasksAsync(new TaskQuery(TaskState.Queued, null, null, 10, null), CancellationToken.None);
        Assert.Equal(pull.Head.Sha, posted["commit_id"]!.GetValue<string>());
        Assert.Equal([("reviewer", moved.Head.Sha)], queued.Select(t => (t.Agent, t.BaseCommit!)));
        Assert.DoesNotContain(queued, t => t.Performer == TaskPerformers.Merge);
        Assert.Equal(pull.Head.Sha, (await store.LatestVerdictAsync(Forge.FullName, pull.Number, CancellationToken.None))!.HeadSha);
    }

    /// <summary>A pull request of the dev's branch, a review task of it that ran, and the lead's merge task, claimed.</summary>
    private async Task<(ForgePull Pull, TaskRecord Merge)> PullWithMergeTaskAsync(AgentsConfig config, ForgeFlows flows, TaskStateMachine machine)
    {
        var issue = Forge.CreateIssue("Change", "x", "alice");
        await GitAsync(Forge.BarePath, "branch", "dev/issue-" + issue, "main");
        var pull = await new ForgejoClient(new HttpClient(), Forge.Url, "t-dev").CreateOrGetPullAsync(Forge.FullName, "dev/issue-" + issue, "main", "Change", "body", CancellationToken.None);
        await flows.QueueAsync(ForgeRouter.ReviewWork(config.Find("reviewer")!, Forge.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, "alice"), "test", null, null, CancellationToken.None);
        await flows.QueueAsync(ForgeRouter.MergeWork(config.Find("boss")!, Forge.FullName, pull.Number, pull.Head.Sha, "alice"), "test", null, null, CancellationToken.None);
        var merge = (await machine.ClaimAsync("boss", "w", TimeSpan.FromMinutes(5), CancellationToken.None))!;
        return (pull, merge);
    }

    /// <summary>Runs the outbox until nothing is due, moving the clock past each backoff.</summary>
    private async Task DrainAsync(ForgeOutbox outbox)
    {
        for (var pass = 0; pass < 30; pass++)
        {
            if (await outbox.RunDueAsync(CancellationToken.None) == 0)
            {
                _clock.Advance(TimeSpan.FromMinutes(1));
                if (await outbox.RunDueAsync(CancellationToken.None) == 0)
                {
                    return;
                }
            }
        }

        Assert.Fail("the outbox never ran dry");
    }

    private int Writes(string method, string suffix) =>
        Forge.Calls.Count(c => c.Method == method && c.Path.EndsWith(suffix, StringComparison.Ordinal));

    private async Task<(AgentsConfig, SqliteTaskStore, ForgeFlows, ForgeOutbox, TaskStateMachine)> FlowAsync(bool humanApproval = false)
    {
        var paths = new ClaudeHooksPaths(_data.Path);
        var config = ConfigLoader.Parse("agents.json", $$"""
            {
              "agents": {
                "dev": { "role": "dev", "forge_user": "dev-bot" },
                "reviewer": { "role": "reviewer", "forge_user": "review-bot" },
                "boss": { "role": "lead", "forge_user": "lead-bot" }
              },
              "forge": {
                "public_url": "https://hooks.example",
                "repositories": { "{{Forge.FullName}}": { "url": "{{Forge.Url}}", "webhook_secret_file": "webhooks/w", "merge_style": "merge", "merge_requires_human_approval": {{(humanApproval ? "true" : "false")}} } }
              }
            }
            """, paths);
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "db")), _clock);
        var http = new HttpClient();
        var flows = new ForgeFlows(config, store, new TaskSignals(), (agent, repository) => new ForgejoClient(http, repository.ForgeUrl, _tokens[agent.Name]), _clock, new ClaudeHooks.Dashboard.SignedLinks(new byte[32]), new ListLogger<ForgeFlows>());
        var outbox = new ForgeOutbox(config, store, store, flows, _clock, new ListLogger<ForgeOutbox>());
        var machine = new TaskStateMachine(store, flows, config, _clock, new ListLogger<TaskStateMachine>());
        return (config, store, flows, outbox, machine);
    }

    private static RunOutcome Outcome(string text) =>
        new(RunStatus.Succeeded, "completed in 2 turn(s)", "s", false, 2, 0.01m, 1000, null, null, text, "/w", null, 0, 0);

    private static async Task GitAsync(string bare, params string[] args)
    {
        using var git = Process.Start(new ProcessStartInfo("git", ["--git-dir", bare, .. args]) { RedirectStandardError = true })!;
        await git.WaitForExitAsync();
        Assert.True(git.ExitCode == 0, await git.StandardError.ReadToEndAsync());
    }
}
