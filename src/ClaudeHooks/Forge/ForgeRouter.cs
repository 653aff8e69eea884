using System.Security.Cryptography;
using System.Text;
using ClaudeHooks.Config;

namespace ClaudeHooks.Forge;

/// <summary>
/// Decides, from the payload alone, what an event means: route on X-*-Event-Type plus action. Events sent by any
/// agent account are ignored (hand-offs between agents are made by the service itself when it performs the action
/// that causes them), unknown events are recorded without a task, and every piece of work carries a semantic key
/// so a replayed delivery (new id, same content) never queues it twice.
/// </summary>
internal static class ForgeRouter
{
    public static RouteResult Route(WebhookEvent e, AgentsConfig config, ForgeRepository repository)
    {
        if (config.ByForgeUser(e.Sender) is { } agent)
        {
            return new RouteResult(null, $"ignored: sent by agent {agent.Name} ({e.Sender})");
        }

        var dev = config.ByRole(AgentRole.Dev, repository.FullName);
        var reviewer = config.ByRole(AgentRole.Reviewer, repository.FullName);
        var lead = config.ByRole(AgentRole.Lead, repository.FullName);
        switch (e.EventType, e.Action)
        {
            case ("issue_assign", "assigned") when !e.IsPull && e.Number is { } n && dev is not null && e.Assignees.Contains(dev.ForgeUser, StringComparer.OrdinalIgnoreCase):
                return Flow(repository, ForgeWork.Implement, ImplementWork(dev, e.Repo, n, e.Sender));
            case ("issue_assign", _):
                return new RouteResult(null, "ignored: not an assignment to the dev agent");
            case ("pull_request_review_request", "review_requested") when e.Number is { } n && reviewer is not null && string.Equals(e.RequestedReviewer, reviewer.ForgeUser, StringComparison.OrdinalIgnoreCase):
                return Flow(repository, ForgeWork.Review, ReviewWork(reviewer, e.Repo, n, e.HeadRef, e.HeadSha, e.Sender));
            case ("pull_request_review_rejected", "reviewed") when e.Number is { } n && dev is not null && string.Equals(e.PullAuthor, dev.ForgeUser, StringComparison.OrdinalIgnoreCase):
                return Flow(repository, ForgeWork.Fix, Work(ForgeWork.Fix, dev, e, n, ThreadOf(dev, e.HeadRef, n), null, FixKey(e.Repo, n, e.HeadSha, e.ReviewContent)));
            case ("pull_request_review_approved", "reviewed") when e.Number is { } n && lead is not null:
                return Flow(repository, ForgeWork.Merge, Work(ForgeWork.Merge, lead, e, n, $"pr-{n}", null, MergeKey(e.Repo, n, e.HeadSha)));
            case ("issue_comment" or "pull_request_comment", "created") when e.Number is { } n && e.CommentBody is { } body:
                var mentioned = config.Agents.FirstOrDefault(a => Mentions(body, a.ForgeUser) || Mentions(body, a.Name));
                if (mentioned is null)
                {
                    return new RouteResult(null, "ignored: the comment mentions no agent");
                }

                var thread = e.IsPull ? (e.HeadRef is not null ? ThreadOf(mentioned, e.HeadRef, n) : $"pr-{n}") : $"issue-{n}";
                return Flow(repository, ForgeWork.Mention, Work(ForgeWork.Mention, mentioned, e, n, thread, null, $"{e.Repo}|comment|{e.CommentId}") with { Request = body });
            default:
                return new RouteResult(null, $"recorded: no flow for {e.EventType}/{e.Action ?? "-"}");
        }
    }

    /// <summary>Implementing an issue: once, unless that task failed (then a new assignment retries it).</summary>
    public static ForgeWork ImplementWork(AgentConfig dev, string repo, long number, string? sender) =>
        new(ForgeWork.Implement, dev.Name, repo, number, $"issue-{number}", null, null, $"{repo}|implement|{number}", sender, null);

    /// <summary>The reviewer's work for a pull request head; one per head commit, so a re-review of new commits runs again.</summary>
    public static ForgeWork ReviewWork(AgentConfig reviewer, string repo, long number, string? headRef, string? headSha, string? sender) =>
        new(ForgeWork.Review, reviewer.Name, repo, number, $"pr-{number}-{(headSha ?? "head")[..Math.Min(8, (headSha ?? "head").Length)]}", headRef, headSha,
            $"{repo}|review|{number}|{headSha}", sender, null);

    public static ForgeWork FixWork(AgentConfig dev, string repo, long number, string? headRef, string? headSha, string? reviewBody, string? sender) =>
        new(ForgeWork.Fix, dev.Name, repo, number, ThreadOf(dev, headRef, number), null, headSha, FixKey(repo, number, headSha, reviewBody), sender, null);

    public static ForgeWork MergeWork(AgentConfig lead, string repo, long number, string? headSha, string? sender) =>
        new(ForgeWork.Merge, lead.Name, repo, number, $"pr-{number}", null, headSha, MergeKey(repo, number, headSha), sender, null);

    public static string MergeKey(string repo, long number, string? headSha) => $"{repo}|merge|{number}|{headSha}";

    private static string FixKey(string repo, long number, string? headSha, string? reviewBody) => $"{repo}|fix|{number}|{headSha}|{Hash(reviewBody)}";

    /// <summary>A dev branch is named &lt;agent&gt;/&lt;thread&gt;; its thread is where the session and checkout path live.</summary>
    public static string ThreadOf(AgentConfig agent, string? headRef, long number) =>
        headRef is not null && headRef.StartsWith(agent.Name + "/", StringComparison.Ordinal) ? headRef[(agent.Name.Length + 1)..] : $"pr-{number}";

    private static bool Mentions(string body, string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(body, $@"(^|[^\w@])@{System.Text.RegularExpressions.Regex.Escape(name)}(?![\w-])", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    private static RouteResult Flow(ForgeRepository repository, string flow, ForgeWork work) =>
        repository.Runs(flow)
            ? new RouteResult(work, $"queue {flow} for {work.Agent}")
            : new RouteResult(null, $"ignored: the {flow} flow is off for {repository.FullName}");

    private static ForgeWork Work(string kind, AgentConfig agent, WebhookEvent e, long number, string thread, string? baseRef, string key) =>
        new(kind, agent.Name, e.Repo, number, thread, baseRef, e.HeadSha, key, e.Sender, null);

    private static string Hash(string? text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text ?? "")))[..16];
}
