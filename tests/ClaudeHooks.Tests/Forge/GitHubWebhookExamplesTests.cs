using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.Config;
using ClaudeHooks.Forge;
using ClaudeHooks.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// GitHub's own webhook examples (<c>@octokit/webhooks-examples</c>, which <c>scripts/test</c> installs from npm and names
/// in <c>CLAUDE_HOOKS_WEBHOOK_EXAMPLES</c>) sent to <c>POST /webhook/github</c> as GitHub sends them, signed over each
/// example's raw bytes, then routed by the dispatcher; and each parsed and routed for the agents and people they name.
/// Every example of the events the flows use is taken, so a new example in the package is covered by the next pin.
/// </summary>
public sealed class GitHubWebhookExamplesTests
{
    private const string Secret = "It's a Secret to Everybody";

    /// <summary>Each repository the examples name has a secret of its own, so a delivery is taken only for its own repository.</summary>
    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["Codertocat/Hello-World"] = Secret,
        ["Octocoders/Hello-World"] = "the Octocoders secret",
        ["octo-org/octo-repo"] = "the octo-org secret",
    };
    private static readonly string[] Events = ["issues", "issue_comment", "pull_request", "pull_request_review", "ping"];

    /// <summary>Every example of <see cref="Events"/>: its event, its position among that event's examples, and its raw JSON text.</summary>
    private static List<(string Event, int Index, string Raw)> Examples()
    {
        var file = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_WEBHOOK_EXAMPLES");
        if (string.IsNullOrEmpty(file) || !File.Exists(file))
        {
            var why = $"CLAUDE_HOOKS_WEBHOOK_EXAMPLES ({(string.IsNullOrEmpty(file) ? "unset" : file)}) names no @octokit/webhooks-examples index.json; scripts/test installs it";
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", why);
            Skip.If(true, "!!! SKIPPED: " + why + " !!!");
        }

        using var document = JsonDocument.Parse(File.ReadAllBytes(file!));
        var examples = new List<(string, int, string)>();
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            var name = entry.GetProperty("name").GetString()!;
            if (Events.Contains(name))
            {
                examples.AddRange(entry.GetProperty("examples").EnumerateArray().Select((e, i) => (name, i, e.GetRawText())));
            }
        }

        return examples;
    }

    private static string Action(string raw) => JsonNode.Parse(raw)!["action"]?.GetValue<string>() ?? "-";

    /// <summary>The agents are the people the examples name (octocat reviews, hubot leads); Codertocat, who sends them all, is a person allowed to ask.</summary>
    private const string HttpConfig = """
        {
          "agents": { "boss": { "role": "lead", "forge_user": "hubot" }, "dev": { "role": "dev", "forge_user": "monalisa" }, "reviewer": { "role": "reviewer", "forge_user": "octocat" } },
          "forge": {
            "public_url": "https://hooks.example",
            "repositories": {
              "Codertocat/Hello-World": { "kind": "github", "url": "https://github.com", "webhook_secret_file": "webhooks/hello", "authorized_users": ["Codertocat"] },
              "Octocoders/Hello-World": { "kind": "github", "url": "https://github.com", "webhook_secret_file": "webhooks/octocoders" },
              "octo-org/octo-repo": { "kind": "github", "url": "https://github.com", "webhook_secret_file": "webhooks/octo-org", "authorized_users": ["Codertocat"] },
              "owner/forgejo": { "url": "https://forge.example", "webhook_secret_file": "webhooks/forgejo" }
            }
          }
        }
        """;

    private static Task<ApiHost> HostAsync() => ApiHost.StartAsync(HttpConfig, home =>
    {
        Write(home, "webhooks/hello", Secrets["Codertocat/Hello-World"]);
        Write(home, "webhooks/octocoders", Secrets["Octocoders/Hello-World"]);
        Write(home, "webhooks/octo-org", Secrets["octo-org/octo-repo"]);

        Write(home, "webhooks/forgejo", "another secret");
    });

    private static void Write(string home, string relative, string content)
    {
        var path = Path.Combine(home, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static HttpRequestMessage Delivery(string gitHubEvent, string id, byte[] body, string? signature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "webhook/github") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", gitHubEvent);
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add("X-GitHub-Hook-ID", "42");
        request.Headers.Add("X-Hub-Signature-256", signature ?? "sha256=" + WebhookSignature.Sign(body, Secret));
        request.Headers.UserAgent.ParseAdd("GitHub-Hookshot/044aadd");
        return request;
    }

    [SkippableFact]
    public async Task EveryExample_SignedOverItsRawBytes_IsAcceptedStoredAndRouted()
    {
        var examples = Examples();
        await using var host = await HostAsync();
        var expected = new Dictionary<string, string>();
        foreach (var (gitHubEvent, index, raw) in examples)
        {
            var id = $"{gitHubEvent}-{index}";
            // A ping from an App's own hook names no repository; it is signed here with one repository's secret.
            var secret = Secrets[JsonNode.Parse(raw)!["repository"]?["full_name"]?.GetValue<string>() ?? "Octocoders/Hello-World"];
            var body = Encoding.UTF8.GetBytes(raw);
            using var response = await host.Anonymous.SendAsync(Delivery(gitHubEvent, id, body, "sha256=" + WebhookSignature.Sign(body, secret)));
            var answer = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == (gitHubEvent == "ping" ? HttpStatusCode.OK : HttpStatusCode.Accepted), $"{id} ({Action(raw)}): {(int)response.StatusCode} {answer}");
            if (gitHubEvent != "ping")
            {
                expected[id] = Expected(gitHubEvent, raw);
            }
        }

        await host.App.Services.GetRequiredService<ForgeDispatcher>().ProcessPendingAsync(CancellationToken.None);

        var stored = (await host.Store.ListDeliveriesAsync(false, 1000, CancellationToken.None)).ToDictionary(d => d.DeliveryId);
        Assert.Equal(expected.Keys.Order(), stored.Keys.Order());
        foreach (var (id, outcome) in expected)
        {
            // Work that is routed goes on to the flow, which acts on the forge as its agent; no forge is reachable
            // here and the agent has no token, so the delivery waits for a retry naming that agent's token.
            var started = outcome.StartsWith("flow for ", StringComparison.Ordinal)
                && stored[id].Outcome is null && stored[id].LastError?.Contains($"tokens/{outcome["flow for ".Length..]}", StringComparison.Ordinal) == true;
            Assert.True(started || stored[id].Outcome?.StartsWith(outcome, StringComparison.Ordinal) == true, $"{id}: expected \"{outcome}\", got \"{stored[id].Outcome}\" (error: {stored[id].LastError})");
        }

        // The examples' one review request is octocat's, the reviewer's: it is the one piece of work.
        Assert.Equal(["flow for reviewer"], expected.Values.Where(v => v.StartsWith("flow for ", StringComparison.Ordinal)));
    }

    /// <summary>What the routing must decide for an example under <see cref="HttpConfig"/>, from the event and action alone.</summary>
    private static string Expected(string gitHubEvent, string raw)
    {
        var action = Action(raw);
        var state = JsonNode.Parse(raw)!["review"]?["state"]?.GetValue<string>();
        return (gitHubEvent, action) switch
        {
            ("issues", "assigned" or "unassigned") => "ignored: not an assignment to the dev agent",
            ("issues", _) => $"recorded: no flow for issues/{action}",
            ("issue_comment", "created") => "ignored: the comment mentions no agent",
            ("issue_comment", _) => $"recorded: no flow for issue_comment/{action}",
            ("pull_request", "review_requested") => "flow for reviewer",
            ("pull_request", "review_request_removed") => "recorded: no flow for pull_request_review_request/review_request_removed",
            ("pull_request", "assigned" or "unassigned") => $"recorded: no flow for pull_request_assign/{action}",
            ("pull_request", "synchronize") => "recorded: no flow for pull_request_sync/synchronized",
            ("pull_request", _) => $"recorded: no flow for pull_request/{action}",
            ("pull_request_review", "submitted") when state == "commented" => "recorded: no flow for pull_request_review_comment/reviewed",
            ("pull_request_review", _) => $"recorded: no flow for pull_request_review/{action}",
            _ => throw new InvalidOperationException($"no expectation for {gitHubEvent}/{action}"),
        };
    }

    [SkippableFact]
    public async Task Example_WithOneByteChanged_OrAnotherSecret_OrAtTheForgejoEndpoint_IsRefusedAndNothingIsStored()
    {
        var (gitHubEvent, _, raw) = Examples().First(e => e.Event == "issues" && Action(e.Raw) == "assigned");
        await using var host = await HostAsync();
        var body = Encoding.UTF8.GetBytes(raw);
        var altered = (byte[])body.Clone();
        altered[^2] = (byte)(altered[^2] == ' ' ? '\n' : ' ');

        using var changed = await host.Anonymous.SendAsync(Delivery(gitHubEvent, "d1", altered, "sha256=" + WebhookSignature.Sign(body, Secret)));
        using var forgejoSecret = await host.Anonymous.SendAsync(Delivery(gitHubEvent, "d2", body, "sha256=" + WebhookSignature.Sign(body, "another secret")));
        using var sha1Only = await host.Anonymous.SendAsync(StripSha256(Delivery(gitHubEvent, "d3", body)));
        var atForgejo = Delivery(gitHubEvent, "d4", body);
        atForgejo.RequestUri = new Uri("webhook/forgejo", UriKind.Relative);
        using var wrongEndpoint = await host.Anonymous.SendAsync(atForgejo);
        var forgejoAtGitHub = Delivery(gitHubEvent, "d5", body);
        forgejoAtGitHub.Headers.Add("X-Forgejo-Event-Type", "issue_assign");
        using var forgejoHeaders = await host.Anonymous.SendAsync(forgejoAtGitHub);
        var noDelivery = Delivery(gitHubEvent, "d6", body);
        noDelivery.Headers.Remove("X-GitHub-Delivery");
        using var missingDelivery = await host.Anonymous.SendAsync(noDelivery);

        Assert.Equal(HttpStatusCode.Unauthorized, changed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forgejoSecret.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, sha1Only.StatusCode);
        Assert.Contains("X-Hub-Signature-256", await sha1Only.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, wrongEndpoint.StatusCode);
        Assert.Contains("/webhook/github", await wrongEndpoint.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, forgejoHeaders.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missingDelivery.StatusCode);
        Assert.Contains("X-GitHub-Delivery", await missingDelivery.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await host.Store.ListDeliveriesAsync(false, 10, CancellationToken.None));
    }

    private static HttpRequestMessage StripSha256(HttpRequestMessage request)
    {
        request.Headers.Remove("X-Hub-Signature-256");
        request.Headers.Add("X-Hub-Signature", "sha1=0000000000000000000000000000000000000000");
        return request;
    }

    [SkippableFact]
    public async Task Example_SignedWithTheSecretOfAnotherRepository_IsRefused()
    {
        var (gitHubEvent, _, raw) = Examples().First(e => e.Event == "issues" && Action(e.Raw) == "assigned");
        await using var host = await ApiHost.StartAsync(HttpConfig, home =>
        {
            Write(home, "webhooks/hello", "the hello secret");
            Write(home, "webhooks/octocoders", Secret);
            Write(home, "webhooks/octo-org", "the octo-org secret");
            Write(home, "webhooks/forgejo", "another secret");
        });

        using var response = await host.Anonymous.SendAsync(Delivery(gitHubEvent, "d1", Encoding.UTF8.GetBytes(raw)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Octocoders/Hello-World", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await host.Store.ListDeliveriesAsync(false, 10, CancellationToken.None));
    }

    /// <summary>The agents the examples' people would be if the service ran for them: Codertocat is the dev, octocat the reviewer.</summary>
    private static AgentsConfig AgentsConfig() => ConfigLoader.Parse("agents.json", """
        {
          "agents": { "boss": { "role": "lead", "forge_user": "hubot" }, "dev": { "role": "dev", "forge_user": "Codertocat" }, "reviewer": { "role": "reviewer", "forge_user": "octocat" } },
          "forge": { "repositories": {
            "Codertocat/Hello-World": { "kind": "github", "url": "https://github.com", "webhook_secret_file": "s" },
            "octo-org/octo-repo": { "kind": "github", "url": "https://github.com", "webhook_secret_file": "s2" } } }
        }
        """, new ClaudeHooksPaths("/nonexistent"));

    [SkippableFact]
    public void EveryExample_SentByAnAgentsOwnAccount_LeadsToNothing()
    {
        var config = AgentsConfig();
        foreach (var (gitHubEvent, index, raw) in Examples().Where(e => e.Event != "ping"))
        {
            using var document = JsonDocument.Parse(raw);
            var e = GitHubWebhookEvent.Parse(gitHubEvent, document.RootElement);
            var route = ForgeRouter.Route(e, config, config.Forge!.Find(e.Repo)!);

            Assert.True(route.Work is null && route.Outcome == "ignored: sent by agent dev (Codertocat)", $"{gitHubEvent}-{index} ({Action(raw)}): {route.Outcome}");
        }
    }

    [SkippableFact]
    public void EveryExample_SentByAPerson_RoutesByEventActionAndVerdict()
    {
        var config = AgentsConfig();
        var outcomes = new List<string>();
        foreach (var (gitHubEvent, index, raw) in Examples().Where(e => e.Event != "ping"))
        {
            var node = JsonNode.Parse(raw)!;
            node["sender"]!["login"] = "alice";
            var variants = new List<JsonNode> { node };
            if (gitHubEvent == "pull_request_review" && Action(raw) == "submitted")
            {
                // The examples' reviews are all comments; GitHub's other two verdicts differ only in review.state.
                foreach (var state in new[] { "approved", "changes_requested" })
                {
                    var variant = node.DeepClone();
                    variant["review"]!["state"] = state;
                    variants.Add(variant);
                }
            }

            foreach (var variant in variants)
            {
                using var document = JsonDocument.Parse(variant.ToJsonString());
                var e = GitHubWebhookEvent.Parse(gitHubEvent, document.RootElement);
                var route = ForgeRouter.Route(e, config, config.Forge!.Find(e.Repo)!);
                Assert.NotEqual("", e.Sender);
                outcomes.Add($"{gitHubEvent}/{Action(raw)}/{variant["review"]?["state"]}: {route.Outcome}");
                switch (route.Work)
                {
                    case { Kind: ForgeWork.Implement } work:
                        Assert.Equal(("dev", $"issue-{e.Number}", false), (work.Agent, work.Thread, e.IsPull));
                        break;
                    case { Kind: ForgeWork.Review } work:
                        Assert.Equal(("reviewer", e.HeadSha, e.HeadRef), (work.Agent, work.HeadSha, work.BaseRef));
                        Assert.Equal(40, work.HeadSha!.Length);
                        break;
                    case { Kind: ForgeWork.Fix } work:
                        Assert.Equal(("dev", e.HeadSha), (work.Agent, work.HeadSha));
                        break;
                    case { Kind: ForgeWork.Merge } work:
                        Assert.Equal(("boss", $"pr-{e.Number}", e.HeadSha), (work.Agent, work.Thread, work.HeadSha));
                        break;
                    case { } work:
                        Assert.Fail($"{gitHubEvent}-{index}: unexpected {work.Kind}");
                        break;
                }
            }
        }

        var queued = outcomes.Where(o => o.Contains(": queue ", StringComparison.Ordinal)).Select(o => o[..o.IndexOf(':')] + o[o.IndexOf(": queue ", StringComparison.Ordinal)..]).Distinct().Order().ToList();
        Assert.Equal(
            [
                "issues/assigned/: queue implement for dev",
                "pull_request/review_requested/: queue review for reviewer",
                "pull_request_review/submitted/approved: queue merge for boss",
                "pull_request_review/submitted/changes_requested: queue fix for dev",
            ],
            queued);
        Assert.Contains("pull_request_review/submitted/commented: recorded: no flow for pull_request_review_comment/reviewed", outcomes);
        Assert.Contains("pull_request/synchronize/: recorded: no flow for pull_request_sync/synchronized", outcomes);
        Assert.Contains("pull_request/closed/: recorded: no flow for pull_request/closed", outcomes);
        Assert.Contains("issue_comment/created/: ignored: the comment mentions no agent", outcomes);
    }

    [SkippableFact]
    public void Comment_MentioningAnAgent_OnAPullRequest_QueuesAMention()
    {
        var (gitHubEvent, _, raw) = Examples().First(e => e.Event == "issue_comment" && Action(e.Raw) == "created");
        var node = JsonNode.Parse(raw)!;
        node["sender"]!["login"] = "alice";
        node["comment"]!["body"] = "@octocat please look again";
        node["issue"]!["pull_request"] = new JsonObject { ["url"] = "https://api.github.com/repos/Codertocat/Hello-World/pulls/1" };
        using var document = JsonDocument.Parse(node.ToJsonString());

        var e = GitHubWebhookEvent.Parse(gitHubEvent, document.RootElement);
        var route = ForgeRouter.Route(e, AgentsConfig(), AgentsConfig().Forge!.Repositories[0]);

        Assert.Equal(("pull_request_comment", true), (e.EventType, e.IsPull));
        Assert.Equal((ForgeWork.Mention, "reviewer", $"pr-{e.Number}", "@octocat please look again"), (route.Work!.Kind, route.Work.Agent, route.Work.Thread, route.Work.Request));
    }
}
