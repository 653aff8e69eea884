using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// The backstop against the fake Forgejo (its timeline records who assigned and who asked for review): it queues only
/// what an authorised user asked for, and a missing token costs only that agent's or repository's part of a pass.
/// The fake does not check who may assign, so mallory's assignment stands for one made by someone whose access is gone.
/// </summary>
public sealed class ForgeReconcilerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _home = new();
    private readonly HttpClient _http = new();
    private readonly List<ForgeWork> _queued = [];
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal)
    {
        ["boss"] = "lead-token", ["dev"] = "dev-token", ["reviewer"] = "review-token",
    };

    private GitHttpServer? _git;
    private FakeForgejo? _forge;
    private SqliteTaskStore? _store;

    private FakeForgejo Forge => _forge!;

    public async Task InitializeAsync()
    {
        _git = await GitHttpServer.StartAsync("127.0.0.1");
        var repo = "backstop-" + Guid.NewGuid().ToString("N")[..8];
        await _git.CreateRepositoryAsync("it-owner", repo, new Dictionary<string, string> { ["README.md"] = "# backstop\n" });
        _forge = await FakeForgejo.StartAsync("127.0.0.1", _git, repo);
        Forge.AddUser("lead-bot", "lead-token", "write");
        Forge.AddUser("dev-bot", "dev-token", "write");
        Forge.AddUser("review-bot", "review-token", "write");
        Forge.AddUser("alice", "alice-token", "write");
        Forge.AddUser("mallory", "mallory-token", "read");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_forge is not null)
        {
            await _forge.DisposeAsync();
        }

        if (_git is not null)
        {
            await _git.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _home.Dispose();
    }

    [Fact]
    public async Task Reconcile_IssueAssignedByANonCollaborator_QueuesNothing()
    {
        var issue = Forge.CreateIssue("Do it", "please", "mallory");
        await AssignAsync("mallory", issue, "dev-bot");

        var queued = await Reconciler().PassAsync(CancellationToken.None);

        Assert.Equal(0, queued);
        Assert.Empty(_queued);
    }

    [Fact]
    public async Task Reconcile_IssueAssignedByAWriter_QueuesItsImplementationOnce()
    {
        var issue = Forge.CreateIssue("Do it", "please", "mallory");
        await AssignAsync("alice", issue, "dev-bot");

        await Reconciler().PassAsync(CancellationToken.None);

        var work = Assert.Single(_queued);
        Assert.Equal((ForgeWork.Implement, issue, "alice"), (work.Kind, work.Number, work.Sender));
    }

    [Fact]
    public async Task Reconcile_TheLatestAssignmentCounts_NotAnEarlierOneByAWriter()
    {
        var issue = Forge.CreateIssue("Do it", "please", "mallory");
        await AssignAsync("alice", issue, "dev-bot");
        await AssignAsync("mallory", issue);
        await AssignAsync("mallory", issue, "dev-bot");

        await Reconciler().PassAsync(CancellationToken.None);

        Assert.Empty(_queued);
    }

    [Fact]
    public async Task Reconcile_ReviewRequestedByThePullRequestsOwnReadOnlyAuthor_QueuesNothing()
    {
        var pull = await OpenPullAsync("mallory", "mallory/feature");
        await RequestReviewAsync("mallory", pull, "review-bot");

        await Reconciler().PassAsync(CancellationToken.None);

        Assert.DoesNotContain(_queued, w => w.Kind == ForgeWork.Review);
    }

    [Fact]
    public async Task Reconcile_ReviewOfAnOutsidersPullRequestRequestedByAWriter_IsQueued()
    {
        var pull = await OpenPullAsync("mallory", "mallory/feature");
        await RequestReviewAsync("alice", pull, "review-bot");

        await Reconciler().PassAsync(CancellationToken.None);

        var work = Assert.Single(_queued, w => w.Kind == ForgeWork.Review);
        Assert.Equal((pull, "alice"), (work.Number, work.Sender));
    }

    [Fact]
    public async Task Reconcile_ReviewRequestedByAnAuthorizedUser_IsQueuedWithoutAskingTheForge()
    {
        var pull = await OpenPullAsync("mallory", "mallory/feature");
        await RequestReviewAsync("mallory", pull, "review-bot");

        await Reconciler(authorizedUsers: """["mallory"]""").PassAsync(CancellationToken.None);

        Assert.Single(_queued, w => w.Kind == ForgeWork.Review);
        Assert.DoesNotContain(Forge.Calls, c => c.Path.EndsWith("/collaborators/mallory/permission", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_AnAgentsTokenFileIsMissing_KeepsRunningAndReconcilesTheRest()
    {
        var issue = Forge.CreateIssue("Do it", "please", "alice");
        await AssignAsync("alice", issue, "dev-bot");
        var pull = await OpenPullAsync("alice", "alice/feature");
        await RequestReviewAsync("alice", pull, "review-bot");
        _tokens.Remove("dev");
        var logger = new ListLogger<ForgeReconciler>();
        var reconciler = Reconciler(interval: "100ms", logger: logger);

        await reconciler.StartAsync(CancellationToken.None);
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            while (Count(ForgeWork.Review) < 2)
            {
                Assert.False(reconciler.ExecuteTask!.IsCompleted, $"the backstop stopped: {reconciler.ExecuteTask.Exception?.InnerException?.Message}");
                await Task.Delay(50, cts.Token);
            }
        }
        finally
        {
            await reconciler.StopAsync(CancellationToken.None);
        }

        Assert.Equal(0, Count(ForgeWork.Implement));
        Assert.Contains(logger.Warnings, w => w.Contains("agent dev's part skipped", StringComparison.Ordinal) && w.Contains("tokens/dev", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pass_ARepositoryWhoseTokensCannotBeRead_DoesNotStopTheNextOne()
    {
        var issue = Forge.CreateIssue("Do it", "please", "alice");
        await AssignAsync("alice", issue, "dev-bot");
        var logger = new ListLogger<ForgeReconciler>();
        var config = Config(null, """{ "acme/gone": { "url": "http://127.0.0.1:1", "webhook_secret_file": "webhooks/w" }, """ + $"\"{Forge.FullName}\": {{ \"url\": \"{Forge.Url}\", \"webhook_secret_file\": \"webhooks/w\" }} }}");
        var reconciler = new ForgeReconciler(config, (agent, repository) => repository.FullName == "acme/gone" ? throw Missing(agent) : Client(agent, repository), Queue, Store, logger);

        var queued = await reconciler.PassAsync(CancellationToken.None);

        Assert.Equal(1, queued);
        Assert.Contains(logger.Warnings, w => w.Contains("acme/gone", StringComparison.Ordinal) && w.Contains("tokens/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pass_AnApprovalByTheReviewerAccountThatNoReviewTaskPosted_QueuesNoMerge_ButTheServicesOwnVerdictDoes()
    {
        var issue = Forge.CreateIssue("Change", "x", "alice");
        await GitHttpServer.GitAsync(Forge.BarePath, "branch", $"dev/issue-{issue}", "main");
        var pull = await new ForgejoClient(_http, Forge.Url, "dev-token").CreateOrGetPullAsync(Forge.FullName, $"dev/issue-{issue}", "main", "Change", "b", CancellationToken.None);
        var direct = await new ForgejoClient(_http, Forge.Url, "review-token").CreateReviewAsync(Forge.FullName, pull.Number, new ReviewSubmission("APPROVED", "LGTM", pull.Head.Sha, []), CancellationToken.None);

        await Reconciler().PassAsync(CancellationToken.None);
        var before = Count(ForgeWork.Merge);

        // The same approval, as the verdict of a review task the service ran on this head.
        var review = new TaskRecord("review-1", "reviewer", "u", null, "t", "p", TaskState.Succeeded, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null);
        await Store.QueueWorkAsync(new ForgeWork(ForgeWork.Review, "reviewer", Forge.FullName, pull.Number, "pr-review", null, pull.Head.Sha, $"{Forge.FullName}|review|{pull.Number}|{pull.Head.Sha}", "alice", null), review with { State = TaskState.Queued }, "test", CancellationToken.None);
        await Store.SetVerdictAsync("review-1", "APPROVED", direct.Id, CancellationToken.None);
        await Reconciler().PassAsync(CancellationToken.None);

        Assert.Equal(0, before);
        Assert.Equal(1, Count(ForgeWork.Merge));
    }

    private int Count(string kind)
    {
        lock (_queued)
        {
            return _queued.Count(w => w.Kind == kind);
        }
    }

    private ForgeReconciler Reconciler(string? authorizedUsers = null, string interval = "5m", ListLogger<ForgeReconciler>? logger = null) =>
        new(Config(interval, $$"""{ "{{Forge.FullName}}": { "url": "{{Forge.Url}}", "webhook_secret_file": "webhooks/w", "authorized_users": {{authorizedUsers ?? "[]"}} } }"""),
            Client, Queue, Store, logger ?? new ListLogger<ForgeReconciler>());

    private SqliteTaskStore Store => _store ??= new(Database.OpenAndMigrateAsync(Path.Combine(_home.Path, "db")).GetAwaiter().GetResult(), TimeProvider.System);

    private IForgeClient Client(AgentConfig agent, ForgeRepository repository) =>
        _tokens.TryGetValue(agent.Name, out var token) ? new ForgejoClient(_http, repository.ForgeUrl, token) : throw Missing(agent);

    private CredentialException Missing(AgentConfig agent) =>
        new($"the forge token file of agent {agent.Name} ({_home.Path}/tokens/{agent.Name}) does not exist; write the token of {agent.ForgeUser} into it");

    private Task<string?> Queue(ForgeWork work, string source, string? title, string? body, CancellationToken cancellationToken)
    {
        lock (_queued)
        {
            _queued.Add(work);
            return Task.FromResult<string?>($"task-{_queued.Count}");
        }
    }

    private AgentsConfig Config(string? interval, string repositories) => ConfigLoader.Parse("agents.json", $$"""
        {
          "agents": {
            "boss": { "role": "lead", "forge_user": "lead-bot" }, "dev": { "role": "dev", "forge_user": "dev-bot" }, "reviewer": { "role": "reviewer", "forge_user": "review-bot" }
          },
          "forge": { "public_url": "https://hooks.example", "reconcile_interval": "{{interval ?? "5m"}}", "repositories": {{repositories}} }
        }
        """, new ClaudeHooksPaths(_home.Path));

    private async Task AssignAsync(string user, long issue, params string[] assignees)
    {
        using var response = await Send(user, HttpMethod.Patch, $"issues/{issue}", new JsonObject { ["assignees"] = new JsonArray([.. assignees.Select(a => JsonValue.Create(a))]) });
        response.EnsureSuccessStatusCode();
    }

    private async Task<long> OpenPullAsync(string user, string branch)
    {
        await GitHttpServer.GitAsync(Forge.BarePath, "branch", branch, "main");
        using var response = await Send(user, HttpMethod.Post, "pulls", new JsonObject { ["head"] = branch, ["base"] = "main", ["title"] = $"{user}'s change" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["number"]!.GetValue<long>();
    }

    private async Task RequestReviewAsync(string user, long pull, string reviewer)
    {
        using var response = await Send(user, HttpMethod.Post, $"pulls/{pull}/requested_reviewers", new JsonObject { ["reviewers"] = new JsonArray(reviewer) });
        response.EnsureSuccessStatusCode();
    }

    private async Task<HttpResponseMessage> Send(string user, HttpMethod method, string path, JsonObject body)
    {
        using var request = new HttpRequestMessage(method, new Uri(Forge.Url, $"api/v1/repos/{Forge.FullName}/{path}")) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("token", $"{user}-token");
        return await _http.SendAsync(request);
    }
}
