using System.Globalization;
using System.Text;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Forge;

/// <summary>
/// The dev → review → merge flow on the forge. Queues work with its prompt, keeps one tracking comment per task,
/// and after each task does the forge side: opens the pull request and requests review (dev), posts the verdict
/// as a review against the head commit (reviewer), comments and re-requests review (dev fixes), merges (lead).
/// Each step hands the next agent its work directly, under the same semantic key a webhook would carry.
/// Every text posted on a task's behalf passes <see cref="TaskEventBus.Redact"/> first, so a credential in it is
/// replaced by a marker and the task is flagged.
/// </summary>
internal sealed partial class ForgeFlows(
    AgentsConfig config,
    IForgeStore forgeStore,
    TaskSignals signals,
    TaskEventBus events,
    Func<AgentConfig, ForgeRepository, IForgeClient> clients,
    ILogger<ForgeFlows> logger) : ITaskHooks
{
    private static readonly TimeSpan[] MergeRetries = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(9)];

    private ForgeSettings Forge => config.Forge!;

    internal IForgeClient Client(AgentConfig agent, ForgeRepository repository) => clients(agent, repository);

    /// <summary>Builds the prompt for <paramref name="work"/> (reading the forge where it must) and queues the task, unless the same work was queued before.</summary>
    public async Task<string?> QueueAsync(ForgeWork work, string source, string? title, string? body, CancellationToken cancellationToken)
    {
        var repository = Forge.Find(work.Repo)!;
        var agent = config.Find(work.Agent)!;
        // A review is guided by its base branch's CLAUDE.md, never by the one its pull request brings.
        string? guidance = null;
        var prompt = work.Kind switch
        {
            ForgeWork.Implement => ImplementPrompt(work, title, body),
            ForgeWork.Review => await ReviewPromptAsync(work, agent, repository, b => guidance = b, cancellationToken),
            ForgeWork.Fix => await FixPromptAsync(work, agent, repository, cancellationToken),
            ForgeWork.Merge => $"Merge pull request #{work.Number} of {work.Repo} once it is approved for its head commit {work.HeadSha}.",
            _ => MentionPrompt(work),
        };
        var now = DateTimeOffset.UtcNow;
        var task = new TaskRecord(TaskIds.New(), work.Agent, repository.CloneUrl, work.BaseRef, work.Thread, prompt, TaskState.Queued, 0, now, now, null, GuidanceRef: guidance);
        var id = await forgeStore.QueueWorkAsync(work, task, source, cancellationToken);
        if (id is not null)
        {
            LogQueued(work.Kind, work.Repo, work.Number, work.Agent, id, source);
            signals.Wake(work.Agent);
        }

        return id;
    }

    public async Task StartingAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        if (await forgeStore.GetForgeTaskAsync(task.Id, cancellationToken) is not { } forgeTask)
        {
            return;
        }

        await TrackAsync(task, forgeTask, $"🤖 **{task.Agent}** is on it ({Describe(forgeTask)}), attempt {task.Attempt}. Follow along: task [`{task.Id}`]({TaskLink(task.Id)}).", cancellationToken);
    }

    public async Task<RunOutcome?> RunInsteadAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        var forgeTask = await forgeStore.GetForgeTaskAsync(task.Id, cancellationToken);
        return forgeTask is { Kind: ForgeWork.Merge } ? await MergeAsync(task, forgeTask, cancellationToken) : null;
    }

    public async Task<RunOutcome> FinishedAsync(TaskRecord task, RunOutcome outcome, CancellationToken cancellationToken)
    {
        if (await forgeStore.GetForgeTaskAsync(task.Id, cancellationToken) is not { } forgeTask)
        {
            return outcome;
        }

        var repository = Forge.Find(forgeTask.Repo)!;
        var agent = config.Find(task.Agent)!;
        var client = Client(agent, repository);
        string? pullLink = null;
        try
        {
            if (outcome.Status == TaskState.Succeeded)
            {
                (outcome, pullLink) = forgeTask.Kind switch
                {
                    ForgeWork.Implement => await OpenPullAsync(task, forgeTask, repository, client, outcome, cancellationToken),
                    ForgeWork.Review => await PostReviewAsync(task, forgeTask, repository, client, outcome, cancellationToken),
                    ForgeWork.Fix => await ReRequestReviewAsync(task, forgeTask, repository, client, outcome, cancellationToken),
                    _ => (outcome, null),
                };
            }
        }
        catch (ForgeApiException e)
        {
            outcome = outcome with { Status = TaskState.Failed, Reason = $"the agent finished but the forge refused the next step: {e.Message}" };
        }

        await TrackAsync(task, forgeTask, FinalComment(task, forgeTask, outcome, pullLink), cancellationToken);
        return outcome;
    }

    private async Task<(RunOutcome, string?)> OpenPullAsync(TaskRecord task, ForgeTask forgeTask, ForgeRepository repository, IForgeClient client, RunOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.PushedCommits is not { Count: > 0 })
        {
            return (outcome with { Reason = outcome.Reason + "; no commits, so no pull request" }, null);
        }

        var issue = await client.GetIssueAsync(repository.FullName, forgeTask.Number, cancellationToken);
        var baseBranch = task.BaseRef ?? await client.GetDefaultBranchAsync(repository.FullName, cancellationToken);
        var body = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Closes #{forgeTask.Number}.")
            .AppendLine()
            .AppendLine(outcome.FinalText?.Trim() ?? "")
            .AppendLine()
            .Append(CultureInfo.InvariantCulture, $"Task [`{task.Id}`]({TaskLink(task.Id)}) by **{task.Agent}**.")
            .ToString();
        var pull = await client.CreateOrGetPullAsync(repository.FullName, outcome.Branch!, baseBranch, events.Redact(task.Id, "pull request", issue.Title), events.Redact(task.Id, "pull request", body), cancellationToken);
        await forgeStore.SetPullAsync(task.Id, pull.Number, cancellationToken);
        await TrackAsync(task, forgeTask, $"🤖 **{task.Agent}** opened pull request #{pull.Number}; asking for review.", cancellationToken);
        if (config.ByRole(AgentRole.Reviewer) is { } reviewer)
        {
            await client.RequestReviewAsync(repository.FullName, pull.Number, reviewer.ForgeUser, cancellationToken);
            if (repository.Runs(ForgeWork.Review))
            {
                var fresh = await client.GetPullAsync(repository.FullName, pull.Number, cancellationToken);
                await QueueAsync(ForgeRouter.ReviewWork(reviewer, repository.FullName, pull.Number, fresh.Head.Ref, fresh.Head.Sha, task.Agent), $"task {task.Id}", null, null, cancellationToken);
            }
        }

        return (outcome with { Reason = $"{outcome.Reason}; opened pull request #{pull.Number}" }, $"#{pull.Number}");
    }

    private async Task<(RunOutcome, string?)> PostReviewAsync(TaskRecord task, ForgeTask forgeTask, ForgeRepository repository, IForgeClient client, RunOutcome outcome, CancellationToken cancellationToken)
    {
        var verdict = ReviewVerdict.Parse(outcome.FinalText) ?? new ReviewVerdict("COMMENT", outcome.FinalText?.Trim() is { Length: > 0 } text ? text : "The reviewer gave no verdict.", []);
        if (verdict.Event == "REQUEST_CHANGES" && verdict.Body.Trim().Length == 0)
        {
            verdict = verdict with { Body = "Changes requested; see the inline comments." };
        }

        var submission = new ReviewSubmission(verdict.Event, events.Redact(task.Id, "review", verdict.Body), forgeTask.HeadSha ?? "",
            [.. verdict.Comments.Select(c => c with { Path = events.Redact(task.Id, "review", c.Path), Body = events.Redact(task.Id, "review", c.Body) })]);
        var review = await client.CreateReviewAsync(repository.FullName, forgeTask.Number, submission, cancellationToken);
        var pull = await client.GetPullAsync(repository.FullName, forgeTask.Number, cancellationToken);
        switch (verdict.Event)
        {
            case "REQUEST_CHANGES" when config.ByRole(AgentRole.Dev) is { } dev && repository.Runs(ForgeWork.Fix) && string.Equals(pull.User.Login, dev.ForgeUser, StringComparison.OrdinalIgnoreCase):
                await QueueAsync(ForgeRouter.FixWork(dev, repository.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, verdict.Body, task.Agent), $"task {task.Id}", null, null, cancellationToken);
                break;
            case "APPROVED" when config.ByRole(AgentRole.Lead) is { } lead && repository.Runs(ForgeWork.Merge):
                await QueueAsync(ForgeRouter.MergeWork(lead, repository.FullName, pull.Number, forgeTask.HeadSha, task.Agent), $"task {task.Id}", null, null, cancellationToken);
                break;
        }

        return (outcome with { Reason = $"{outcome.Reason}; posted review {review.Id} ({verdict.Event}, {verdict.Comments.Count} inline) on {forgeTask.HeadSha?[..Math.Min(8, forgeTask.HeadSha.Length)]}" }, $"#{forgeTask.Number}");
    }

    private async Task<(RunOutcome, string?)> ReRequestReviewAsync(TaskRecord task, ForgeTask forgeTask, ForgeRepository repository, IForgeClient client, RunOutcome outcome, CancellationToken cancellationToken)
    {
        var addressed = $"Addressed the review in {outcome.PushedCommits?.Count ?? 0} commit(s):\n\n{outcome.FinalText?.Trim()}";
        await client.CreateCommentAsync(repository.FullName, forgeTask.Number, events.Redact(task.Id, "forge comment", addressed), cancellationToken);
        if (config.ByRole(AgentRole.Reviewer) is { } reviewer)
        {
            await client.RequestReviewAsync(repository.FullName, forgeTask.Number, reviewer.ForgeUser, cancellationToken);
            if (repository.Runs(ForgeWork.Review))
            {
                var pull = await client.GetPullAsync(repository.FullName, forgeTask.Number, cancellationToken);
                await QueueAsync(ForgeRouter.ReviewWork(reviewer, repository.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, task.Agent), $"task {task.Id}", null, null, cancellationToken);
            }
        }

        return (outcome with { Reason = $"{outcome.Reason}; asked for review again" }, $"#{forgeTask.Number}");
    }

    /// <summary>The lead's merge: open, mergeable, approved by the reviewer for the current head and not stale; then merge that head and delete the branch.</summary>
    private async Task<RunOutcome> MergeAsync(TaskRecord task, ForgeTask forgeTask, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var repository = Forge.Find(forgeTask.Repo)!;
        var lead = config.Find(task.Agent)!;
        var client = Client(lead, repository);
        RunOutcome Done(TaskState status, string reason) =>
            new(status, reason, null, false, 0, 0m, (long)(DateTimeOffset.UtcNow - started).TotalMilliseconds, null, null, reason, null, null, null, 0);
        try
        {
            var pull = await client.GetPullAsync(repository.FullName, forgeTask.Number, cancellationToken);
            if (pull.Merged || pull.State != "open")
            {
                return Done(pull.Merged ? TaskState.Succeeded : TaskState.Failed, pull.Merged ? $"#{pull.Number} was already merged" : $"#{pull.Number} is {pull.State}; nothing to merge");
            }

            var reviewer = config.ByRole(AgentRole.Reviewer);
            var latest = (await client.ListReviewsAsync(repository.FullName, pull.Number, cancellationToken))
                .Where(r => reviewer is null || string.Equals(r.User?.Login, reviewer.ForgeUser, StringComparison.OrdinalIgnoreCase))
                .Where(r => r.State is "APPROVED" or "REQUEST_CHANGES")
                .LastOrDefault();
            if (latest is not { State: "APPROVED" } || latest.Stale || latest.Dismissed || latest.CommitId != pull.Head.Sha)
            {
                return Done(TaskState.Failed, $"not merging #{pull.Number}: the reviewer's latest verdict is {(latest is null ? "missing" : $"{latest.State} on {latest.CommitId?[..Math.Min(8, latest.CommitId.Length)]}{(latest.Stale ? " (stale)" : "")}{(latest.Dismissed ? " (dismissed)" : "")}")}, and the head is {pull.Head.Sha[..8]}");
            }

            if (pull.Mergeable == false)
            {
                return await AskDevToUpdateAsync(task, pull, repository, Done, cancellationToken);
            }

            for (var attempt = 0; ; attempt++)
            {
                var result = await client.MergeAsync(repository.FullName, pull.Number, repository.MergeStyle, pull.Head.Sha, deleteBranch: true, cancellationToken);
                switch (result)
                {
                    case MergeResult.Merged:
                        return Done(TaskState.Succeeded, $"merged #{pull.Number} at {pull.Head.Sha[..8]} ({repository.MergeStyle}) and deleted {pull.Head.Ref}");
                    case MergeResult.Conflict:
                        return await AskDevToUpdateAsync(task, pull, repository, Done, cancellationToken);
                    case MergeResult.TryAgainLater when attempt < MergeRetries.Length:
                        await Task.Delay(MergeRetries[attempt], cancellationToken);
                        break;
                    default:
                        return Done(TaskState.Failed, $"the forge kept answering \"try again later\" to merging #{pull.Number} after {MergeRetries.Length + 1} attempts; merge it by hand or re-approve to retry");
                }
            }
        }
        catch (ForgeApiException e)
        {
            return Done(TaskState.Failed, $"merge refused: {e.Message}");
        }
    }

    private async Task<RunOutcome> AskDevToUpdateAsync(TaskRecord task, ForgePull pull, ForgeRepository repository, Func<TaskState, string, RunOutcome> done, CancellationToken cancellationToken)
    {
        if (config.ByRole(AgentRole.Dev) is { } dev)
        {
            var work = new ForgeWork(ForgeWork.Mention, dev.Name, repository.FullName, pull.Number, ForgeRouter.ThreadOf(dev, pull.Head.Ref, pull.Number), null, pull.Head.Sha,
                $"{repository.FullName}|update|{pull.Number}|{pull.Head.Sha}", task.Agent,
                $"Pull request #{pull.Number} cannot be merged: it conflicts with {pull.Base.Ref}. Merge origin/{pull.Base.Ref} into your branch, resolve the conflicts, run the tests and commit.");
            await QueueAsync(work, $"task {task.Id}", null, null, cancellationToken);
        }

        return done(TaskState.Failed, $"#{pull.Number} conflicts with {pull.Base.Ref}; asked {config.ByRole(AgentRole.Dev)?.Name ?? "the dev agent"} to update the branch");
    }

    private static string ImplementPrompt(ForgeWork work, string? title, string? body) => $"""
        {UntrustedText.Preamble}

        Issue #{work.Number} of {work.Repo} is assigned to you. Implement it in this checkout and commit your work on the current branch
        with clear messages. The service pushes the branch and opens the pull request; do not push.

        Issue title:
        {UntrustedText.Quote($"issue #{work.Number} title", title)}

        Issue description:
        {UntrustedText.Quote($"issue #{work.Number} body", body)}

        Finish with a short summary of what you changed, for the pull request description.
        """;

    private async Task<string> ReviewPromptAsync(ForgeWork work, AgentConfig agent, ForgeRepository repository, Action<string> baseBranch, CancellationToken cancellationToken)
    {
        var pull = await Client(agent, repository).GetPullAsync(repository.FullName, work.Number, cancellationToken);
        baseBranch(pull.Base.Ref);
        return $"""
            {UntrustedText.Preamble}

            Review pull request #{pull.Number} of {work.Repo}. This checkout holds its head commit {work.HeadSha}; compare it with the base
            branch (git diff origin/{pull.Base.Ref}...HEAD). Read the code and run the tests where you can. Do not commit or push.

            Title:
            {UntrustedText.Quote($"pull request #{pull.Number} title", pull.Title)}

            Description:
            {UntrustedText.Quote($"pull request #{pull.Number} body", pull.Body)}

            {ReviewVerdict.Instructions}
            """;
    }

    private async Task<string> FixPromptAsync(ForgeWork work, AgentConfig agent, ForgeRepository repository, CancellationToken cancellationToken)
    {
        var client = Client(agent, repository);
        var reviewer = config.ByRole(AgentRole.Reviewer);
        var review = (await client.ListReviewsAsync(repository.FullName, work.Number, cancellationToken))
            .LastOrDefault(r => r.State == "REQUEST_CHANGES" && (reviewer is null || string.Equals(r.User?.Login, reviewer.ForgeUser, StringComparison.OrdinalIgnoreCase)));
        var inline = review is null ? [] : await client.GetReviewCommentsAsync(repository.FullName, work.Number, review.Id, cancellationToken);
        var comments = string.Join("\n", inline.Select(c => $"- {c.Path}:{(c.Position > 0 ? c.Position : c.OriginalPosition)}\n{UntrustedText.Quote($"inline comment {c.Id}", c.Body)}"));
        return $"""
            {UntrustedText.Preamble}

            The reviewer asked for changes on pull request #{work.Number} of {work.Repo}, which is your branch in this checkout.
            Address them, commit, and finish with a short list of what you addressed. The service pushes and asks for review again.

            Review:
            {UntrustedText.Quote($"review {review?.Id}", review?.Body)}

            Inline comments:
            {(comments.Length == 0 ? "(none)" : comments)}
            """;
    }

    private static string MentionPrompt(ForgeWork work) => $"""
        {UntrustedText.Preamble}

        {(work.Sender is null ? "You were asked" : $"{work.Sender} mentioned you")} on #{work.Number} of {work.Repo}:
        {UntrustedText.Quote($"comment on #{work.Number}", work.Request)}

        Do what is asked in this checkout if it is a change (commit it; the service pushes), and finish with your answer.
        """;

    private async Task TrackAsync(TaskRecord task, ForgeTask forgeTask, string text, CancellationToken cancellationToken)
    {
        var repository = Forge.Find(forgeTask.Repo)!;
        var client = Client(config.Find(task.Agent)!, repository);
        var current = await forgeStore.GetForgeTaskAsync(task.Id, cancellationToken) ?? forgeTask;
        text = events.Redact(task.Id, "forge comment", text);
        try
        {
            if (current.TrackingCommentId is { } id)
            {
                await client.EditCommentAsync(repository.FullName, id, text, cancellationToken);
            }
            else
            {
                var comment = await client.CreateCommentAsync(repository.FullName, current.Number, text, cancellationToken);
                await forgeStore.SetTrackingCommentAsync(task.Id, comment.Id, cancellationToken);
            }
        }
        catch (ForgeApiException e)
        {
            LogTrackingFailed(task.Id, e.Message);
        }
    }

    private string FinalComment(TaskRecord task, ForgeTask forgeTask, RunOutcome outcome, string? pull)
    {
        var ok = outcome.Status == TaskState.Succeeded;
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"{(ok ? "✅" : "❌")} **{task.Agent}** {outcome.Status.ToName()} ({Describe(forgeTask)}): {outcome.Reason}")
            .AppendLine()
            .AppendLine("| duration | cost | turns | branch | pull request | task |")
            .AppendLine("|---|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture,
                $"| {outcome.DurationMs / 1000.0:0.#} s | {(outcome.CostUsd is { } cost ? $"${cost:0.####}" : "-")} | {outcome.Turns} | {outcome.Branch ?? "-"} | {pull ?? "-"} | [`{task.Id}`]({TaskLink(task.Id)}) |");
        if (!ok)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Operator: `claude-hooks task show {task.Id}` has the history and events; fix the cause above, then re-assign or mention the agent to run it again.");
        }
        else if (forgeTask.Kind is ForgeWork.Implement or ForgeWork.Mention && outcome.FinalText is { Length: > 0 } final)
        {
            text.AppendLine().AppendLine(final.Trim());
        }

        return text.ToString();
    }

    private static string Describe(ForgeTask forgeTask) => forgeTask.Kind switch
    {
        ForgeWork.Implement => $"implementing #{forgeTask.Number}",
        ForgeWork.Review => $"reviewing #{forgeTask.Number} at {forgeTask.HeadSha?[..Math.Min(8, forgeTask.HeadSha.Length)]}",
        ForgeWork.Fix => $"addressing the review of #{forgeTask.Number}",
        ForgeWork.Merge => $"merging #{forgeTask.Number}",
        _ => $"answering on #{forgeTask.Number}",
    };

    private string TaskLink(string id) => $"{Forge.PublicUrl.ToString().TrimEnd('/')}/task/{id}";

    [LoggerMessage(Level = LogLevel.Information, Message = "forge: queued {Kind} of {Repo}#{Number} for {Agent} as task {TaskId} ({Source})")]
    private partial void LogQueued(string kind, string repo, long number, string agent, string taskId, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge: tracking comment for task {TaskId} failed: {Error}")]
    private partial void LogTrackingFailed(string taskId, string error);
}
