using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.Config;
using ClaudeHooks.Forge;

namespace ClaudeHooks.Tests.Forge;

/// <summary>The real payloads in shared/forge-payloads parse and route as the forge contract says.</summary>
public sealed class ForgePayloadTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly AgentsConfig _config;

    public ForgePayloadTests()
    {
        _config = ConfigLoader.Parse("agents.json", """
            { "forge": { "repositories": {
                "example/example": { "url": "http://localhost:3000", "webhook_secret_file": "s1" },
                "a_nice_user/hello_world_ci": { "url": "https://gitea.com", "webhook_secret_file": "s2" },
                "anbraten/test-repo": { "url": "https://gitea.com", "webhook_secret_file": "s3", "flows": ["implement"] } } },
              "agents": {
                "boss": { "role": "lead", "forge_user": "lead-bot" },
                "dev": { "role": "dev", "forge_user": "example" },
                "reviewer": { "role": "reviewer", "forge_user": "review-bot" } } }
            """, new ClaudeHooksPaths(_home.Path));
    }

    public void Dispose() => _home.Dispose();

    public static TheoryData<string, string, string> Payloads => new()
    {
        { "issues-assigned.json", "issue_assign", "ignored: sent by agent dev (example)" },
        { "issue_comment-created.json", "issue_comment", "ignored: sent by agent dev (example)" },
        { "issue_comment-created-on-pull.json", "pull_request_comment", "ignored: sent by agent dev (example)" },
        { "pull_request-opened.json", "pull_request", "recorded: no flow for pull_request/opened" },
        { "pull_request_assign-assigned.json", "pull_request_assign", "recorded: no flow for pull_request_assign/assigned" },
        { "pull_request-review_requested.json", "pull_request_review_request", "recorded: no flow for pull_request_review_request/review_requested" },
        { "pull_request_review_approved-reviewed.json", "pull_request_review_approved", "queue merge for boss" },
        { "pull_request_review_rejected-reviewed.json", "pull_request_review_rejected", "recorded: no flow for pull_request_review_rejected/reviewed" },
        { "pull_request_review_comment-reviewed.json", "pull_request_review_comment", "recorded: no flow for pull_request_review_comment/reviewed" },
        { "pull_request_sync-synchronized.json", "pull_request_sync", "recorded: no flow for pull_request_sync/synchronized" },
        { "pull_request-closed-merged.json", "pull_request", "recorded: no flow for pull_request/closed" },
        { "push.json", "push", "recorded: no flow for push/-" },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void RealPayload_ParsesAndRoutes(string file, string eventType, string expected)
    {
        var e = Parse(file, eventType);
        var repository = _config.Forge!.Find(e.Repo) ?? _config.Forge.Repositories[0];

        Assert.NotEqual("", e.Repo);
        Assert.NotEqual("", e.Sender);
        Assert.Equal(expected, ForgeRouter.Route(e, _config, repository).Outcome);
    }

    [Fact]
    public void IssueAssigned_ByAPerson_QueuesImplementForTheDev()
    {
        var e = Parse("issues-assigned.json", "issue_assign", sender: "alice");

        var route = ForgeRouter.Route(e, _config, _config.Forge!.Find("example/example")!);

        Assert.Equal((1L, false), (e.Number, e.IsPull));
        Assert.Equal(["example"], e.Assignees);
        Assert.Equal(("implement", "dev", "issue-1", "example/example|implement|1"), (route.Work!.Kind, route.Work.Agent, route.Work.Thread, route.Work.SemanticKey));
    }

    [Fact]
    public void ReviewRequested_FromTheReviewer_QueuesReviewOfTheHead()
    {
        var e = Parse("pull_request-review_requested.json", "pull_request_review_request", requestedReviewer: "review-bot");

        var work = ForgeRouter.Route(e, _config, _config.Forge!.Find(e.Repo)!).Work!;

        Assert.Equal(("review", "reviewer", 7L, "pr-7-07977177", "jony-patch-1", "07977177c2cd7d46bad37b8472a9d50e7acb9d1f"),
            (work.Kind, work.Agent, work.Number, work.Thread, work.BaseRef, work.HeadSha));
    }

    [Fact]
    public void ChangesRequested_OnTheDevsPull_QueuesFixOnItsThread()
    {
        var e = Parse("pull_request_review_rejected-reviewed.json", "pull_request_review_rejected", pullAuthor: "example", headRef: "dev/issue-3");

        var work = ForgeRouter.Route(e, _config, _config.Forge!.Find(e.Repo)!).Work!;

        Assert.Equal(("pull_request_review_rejected", "I decided otherwhies :O"), (e.ReviewType, e.ReviewContent));
        Assert.Equal(("fix", "dev", "issue-3"), (work.Kind, work.Agent, work.Thread));
    }

    [Fact]
    public void Merged_IsParsed() => Assert.True(Parse("pull_request-closed-merged.json", "pull_request").Merged);

    [Fact]
    public void Mention_ByAPerson_QueuesWorkForTheMentionedAgent()
    {
        var e = Parse("issue_comment-created.json", "issue_comment", sender: "alice", commentBody: "Could @review-bot look at this? not@dev");

        var work = ForgeRouter.Route(e, _config, _config.Forge!.Find("example/example")!).Work!;

        Assert.Equal(("mention", "reviewer", "issue-1"), (work.Kind, work.Agent, work.Thread));
        Assert.Contains("@review-bot", work.Request, StringComparison.Ordinal);
    }

    [Fact]
    public void FlowSwitchedOff_IsIgnored()
    {
        var e = Parse("pull_request_review_approved-reviewed.json", "pull_request_review_approved");

        Assert.Equal("ignored: the merge flow is off for anbraten/test-repo", ForgeRouter.Route(e, _config, _config.Forge!.Find("anbraten/test-repo")!).Outcome);
    }

    private static WebhookEvent Parse(string file, string eventType, string? sender = null, string? requestedReviewer = null, string? pullAuthor = null, string? headRef = null, string? commentBody = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(PayloadPath(file)))!.AsObject();
        if (sender is not null)
        {
            json["sender"]!["login"] = sender;
        }

        if (requestedReviewer is not null)
        {
            json["requested_reviewer"]!["login"] = requestedReviewer;
        }

        if (pullAuthor is not null)
        {
            json["pull_request"]!["user"]!["login"] = pullAuthor;
        }

        if (headRef is not null)
        {
            json["pull_request"]!["head"]!["ref"] = headRef;
        }

        if (commentBody is not null)
        {
            json["comment"]!["body"] = commentBody;
        }

        using var document = JsonDocument.Parse(json.ToJsonString());
        return WebhookEvent.Parse(eventType, document.RootElement);
    }

    /// <summary>Real captures (see Payloads/SOURCES.md), copied beside the tests.</summary>
    internal static string PayloadPath(string file) => Path.Combine(AppContext.BaseDirectory, "Forge", "Payloads", file);
}
