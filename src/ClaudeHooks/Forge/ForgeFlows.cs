using System.Globalization;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Forge;

/// <summary>
/// The dev → review → merge flow on the forge. Queues work with its prompt and reacts to the moves of its tasks:
/// each move records the forge writes it causes (the tracking comment, the pull request, the review posted for the
/// head commit that was reviewed, the "addressed" comment, the review request) as intents in the move's own
/// transaction, and <see cref="ForgeOutbox"/> carries them out once. When a write is done, <see cref="AfterAsync"/>
/// hands the next agent its work under the same semantic key a webhook would carry. Texts come from the redacted
/// outcome, and the forge client redacts every body again on the way out.
/// </summary>
internal sealed partial class ForgeFlows(
    AgentsConfig config,
    IForgeStore forgeStore,
    TaskSignals signals,
    Func<AgentConfig, ForgeRepository, IForgeClient> clients,
    TimeProvider clock,
    Dashboard.SignedLinks links,
    ILogger<ForgeFlows> logger) : ITaskReactions
{
    /// <summary>Stands in the final tracking comment for the pull request the task's branch got, once it is known.</summary>
    internal const string PullPlaceholder = "{{pull}}";

    /// <summary>The source of work the backstop finds; it never queues again what ended without success.</summary>
    public const string BackstopSource = "backstop";

    private ForgeSettings Forge => config.Forge!;

    internal IForgeClient Client(AgentConfig agent, ForgeRepository repository) => clients(agent, repository);

    /// <summary>Builds the prompt for <paramref name="work"/> (reading the forge where it must) and queues the task, unless the same work was queued before.</summary>
    public Task<string?> QueueAsync(ForgeWork work, string source, string? title, string? body, CancellationToken cancellationToken) =>
        QueueWorkAsync(work, source, title, body, cancellationToken, retryEnded: source != BackstopSource);

    private async Task<string?> QueueWorkAsync(ForgeWork work, string source, string? title, string? body, CancellationToken cancellationToken, bool retryEnded)
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
            ForgeWork.Merge => $"Merge pull request #{work.Number} of {work.Repo} once the service's own review approves its head commit {work.HeadSha}.",
            _ => MentionPrompt(work),
        };
        var now = clock.GetUtcNow();
        var task = new TaskRecord(TaskIds.New(), work.Agent, repository.CloneUrl, work.BaseRef, work.Thread, prompt, TaskState.Queued, 0, now, now, null, GuidanceRef: guidance)
        {
            Performer = work.Kind == ForgeWork.Merge ? TaskPerformers.Merge : TaskPerformers.Agent,
        };
        if (work.Kind == ForgeWork.Review)
        {
            // The review runs on the exact head that was asked about, fetched through the forge's pull ref, which
            // also holds a fork's commits.
            task = task with { BaseRef = PullRef(work.Number), BaseCommit = work.HeadSha };
        }

        var id = await forgeStore.QueueWorkAsync(work, task, source, cancellationToken, retryEnded);
        if (id is not null)
        {
            LogQueued(work.Kind, work.Repo, work.Number, work.Agent, id, source);
            signals.Wake(work.Agent);
        }

        return id;
    }

    /// <summary>The ref a forge keeps at a pull request's head, in the base repository, whichever repository the head lives in.</summary>
    public static string PullRef(long number) => string.Create(CultureInfo.InvariantCulture, $"refs/pull/{number}/head");

    public async Task<IReadOnlyList<ForgeIntent>> IntentsForAsync(TaskRecord task, TaskState to, string reason, RunOutcome? outcome, CancellationToken cancellationToken)
    {
        if (await forgeStore.GetForgeTaskAsync(task.Id, cancellationToken) is not { } forgeTask || Forge.Find(forgeTask.Repo) is null)
        {
            return [];
        }

        switch (to)
        {
            case TaskState.Running:
                return [Track(task, forgeTask, $"{task.Attempt}:start",
                    $"🤖 **{task.Agent}** is on it ({Describe(forgeTask)}), attempt {task.Attempt} of {config.Service.MaxAttempts}. Follow along: task [`{task.Id}`]({TaskLink(task.Id)}).")];
            case TaskState.Queued when task.State == TaskState.Running:
                return [Track(task, forgeTask, $"{task.Attempt}:retry", $"⏳ **{task.Agent}** ({Describe(forgeTask)}): {reason}. Task [`{task.Id}`]({TaskLink(task.Id)}).")];
            case TaskState.Queued or TaskState.Interrupted:
                return [];
        }

        var intents = new List<ForgeIntent>();
        var result = outcome ?? new RunOutcome(RunStatus.Failed, reason, null, false, 0, null, 0, null, null, null, null, null, null, 0);
        result = result with { Reason = reason };
        if (to == TaskState.Succeeded && outcome is not null)
        {
            intents.AddRange(forgeTask.Kind switch
            {
                ForgeWork.Implement => OpenPull(task, forgeTask, outcome),
                ForgeWork.Review => [PostReview(task, forgeTask, outcome)],
                ForgeWork.Fix => Addressed(task, forgeTask, outcome),
                _ => [],
            });
        }

        if (to == TaskState.Failed && forgeTask.Kind == ForgeWork.Review && reason.StartsWith(Workdir.HeadMovedException.HeadMoved, StringComparison.Ordinal))
        {
            intents.Add(Intent(task, forgeTask, $"review_head:{task.Id}", ForgeIntent.ReviewHead, new { number = forgeTask.Number }));
        }

        intents.Add(Track(task, forgeTask, "final", FinalComment(task, forgeTask, to, result)));
        return intents;
    }

    /// <summary>What follows once <paramref name="intent"/> is done on the forge: the next agent's work (queued here, deduplicated by its semantic key) and the writes that follow.</summary>
    public async Task<IReadOnlyList<ForgeIntent>> AfterAsync(StoredIntent intent, JsonElement result, CancellationToken cancellationToken)
    {
        if (intent.TaskId is not { } taskId || Forge.Find(intent.Repo) is not { } repository || await forgeStore.GetForgeTaskAsync(taskId, cancellationToken) is not { } forgeTask)
        {
            return [];
        }

        var agent = config.Find(intent.Agent)!;
        var source = $"task {taskId}";
        switch (intent.Kind)
        {
            case ForgeIntent.OpenPull:
                var number = result.GetProperty("number").GetInt64();
                await forgeStore.SetPullAsync(taskId, number, cancellationToken);
                return config.ByRole(AgentRole.Reviewer, repository.FullName) is { } asked
                    ? [new ForgeIntent($"request_review:{taskId}:{number}", taskId, repository.FullName, agent.Name, ForgeIntent.RequestReview, Payload(new { number, reviewer = asked.ForgeUser }))]
                    : [];
            case ForgeIntent.RequestReview or ForgeIntent.ReviewHead when config.ByRole(AgentRole.Reviewer, repository.FullName) is { } reviewer && repository.Runs(ForgeWork.Review):
                var requested = Payloads.Number(intent);
                var pull = await Client(agent, repository).GetPullAsync(repository.FullName, requested, cancellationToken);
                if (pull.State == "open")
                {
                    // A head that keeps moving gets one review per head, never a second try of a review that ended.
                    await QueueWorkAsync(ForgeRouter.ReviewWork(reviewer, repository.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, agent.ForgeUser), source, null, null, cancellationToken,
                        retryEnded: intent.Kind != ForgeIntent.ReviewHead);
                }

                return [];
            case ForgeIntent.Review:
                return await AfterReviewAsync(intent, forgeTask, repository, agent, result, source, cancellationToken);
            // Only the dev agent's own branch in this repository goes; a fork's, or anyone else's, is not the service's to delete.
            case ForgeIntent.Merge when result.TryGetProperty("merged", out var merged) && merged.GetBoolean() && result.TryGetProperty("branch", out var branch)
                && config.ByRole(AgentRole.Dev, repository.FullName) is { } owner && branch.GetString() is { } name && name.StartsWith(owner.Name + "/", StringComparison.Ordinal)
                && result.TryGetProperty("same_repository", out var same) && same.GetBoolean():
                return [new ForgeIntent($"delete_branch:{intent.Key}", taskId, repository.FullName, agent.Name, ForgeIntent.DeleteBranch, Payload(new { branch = branch.GetString() }))];
            default:
                return [];
        }
    }

    private async Task<IReadOnlyList<ForgeIntent>> AfterReviewAsync(StoredIntent intent, ForgeTask forgeTask, ForgeRepository repository, AgentConfig agent, JsonElement result, string source, CancellationToken cancellationToken)
    {
        var verdict = result.GetProperty("event").GetString()!;
        await forgeStore.SetVerdictAsync(forgeTask.TaskId, verdict, result.GetProperty("id").GetInt64(), cancellationToken);
        var pull = await Client(agent, repository).GetPullAsync(repository.FullName, forgeTask.Number, cancellationToken);
        if (!string.Equals(pull.Head.Sha, forgeTask.HeadSha, StringComparison.OrdinalIgnoreCase))
        {
            // The verdict stands for the commit that was reviewed only; the new head gets a review of its own.
            LogHeadMoved(repository.FullName, pull.Number, forgeTask.HeadSha ?? "-", pull.Head.Sha);
            if (pull.State == "open" && repository.Runs(ForgeWork.Review))
            {
                await QueueAsync(ForgeRouter.ReviewWork(agent, repository.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, agent.ForgeUser), $"{source} (the head moved during the review)", null, null, cancellationToken);
            }

            return [];
        }

        switch (verdict)
        {
            case "REQUEST_CHANGES" when config.ByRole(AgentRole.Dev, repository.FullName) is { } dev && repository.Runs(ForgeWork.Fix) && string.Equals(pull.User.Login, dev.ForgeUser, StringComparison.OrdinalIgnoreCase):
                var body = JsonDocument.Parse(intent.Payload).RootElement.GetProperty("body").GetString();
                await QueueAsync(ForgeRouter.FixWork(dev, repository.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, body, agent.ForgeUser), source, null, null, cancellationToken);
                break;
            case "APPROVED" when config.ByRole(AgentRole.Lead, repository.FullName) is { } lead && repository.Runs(ForgeWork.Merge):
                await QueueAsync(ForgeRouter.MergeWork(lead, repository.FullName, pull.Number, forgeTask.HeadSha, agent.ForgeUser), source, null, null, cancellationToken);
                break;
        }

        return [];
    }

    private IReadOnlyList<ForgeIntent> OpenPull(TaskRecord task, ForgeTask forgeTask, RunOutcome outcome)
    {
        if (outcome.PushedCommits is not { Count: > 0 } || outcome.Branch is null)
        {
            return [];
        }

        var body = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Closes #{forgeTask.Number}.")
            .AppendLine()
            .AppendLine(outcome.FinalText?.Trim() ?? "")
            .AppendLine()
            .Append(CultureInfo.InvariantCulture, $"Task [`{task.Id}`]({TaskLink(task.Id)}) by **{task.Agent}**.")
            .ToString();
        return [Intent(task, forgeTask, $"open_pull:{task.Id}", ForgeIntent.OpenPull, new { branch = outcome.Branch, @base = task.BaseRef, issue = forgeTask.Number, body })];
    }

    private ForgeIntent PostReview(TaskRecord task, ForgeTask forgeTask, RunOutcome outcome)
    {
        var verdict = ReviewVerdict.Parse(outcome.FinalText) ?? new ReviewVerdict("COMMENT", outcome.FinalText?.Trim() is { Length: > 0 } text ? text : "The reviewer gave no verdict.", []);
        if (verdict.Event == "REQUEST_CHANGES" && verdict.Body.Trim().Length == 0)
        {
            verdict = verdict with { Body = "Changes requested; see the inline comments." };
        }

        return Intent(task, forgeTask, $"review:{task.Id}", ForgeIntent.Review, new
        {
            number = forgeTask.Number,
            @event = verdict.Event,
            body = verdict.Body,
            commit_id = forgeTask.HeadSha ?? "",
            comments = verdict.Comments.Select(c => new { path = c.Path, line = c.Line, body = c.Body }),
        });
    }

    private IReadOnlyList<ForgeIntent> Addressed(TaskRecord task, ForgeTask forgeTask, RunOutcome outcome)
    {
        var intents = new List<ForgeIntent>
        {
            Intent(task, forgeTask, $"comment:{task.Id}:addressed", ForgeIntent.Comment, new
            {
                number = forgeTask.Number,
                body = $"Addressed the review in {outcome.PushedCommits?.Count ?? 0} commit(s):\n\n{outcome.FinalText?.Trim()}",
            }),
        };
        if (config.ByRole(AgentRole.Reviewer, forgeTask.Repo) is { } reviewer)
        {
            intents.Add(Intent(task, forgeTask, $"request_review:{task.Id}:{forgeTask.Number}", ForgeIntent.RequestReview, new { number = forgeTask.Number, reviewer = reviewer.ForgeUser }));
        }

        return intents;
    }

    private ForgeIntent Track(TaskRecord task, ForgeTask forgeTask, string step, string body) =>
        Intent(task, forgeTask, $"track:{task.Id}:{step}", ForgeIntent.Track, new { number = forgeTask.Number, body });

    private static ForgeIntent Intent(TaskRecord task, ForgeTask forgeTask, string key, string kind, object payload) =>
        new(key, task.Id, forgeTask.Repo, task.Agent, kind, Payload(payload));

    private static string Payload(object payload) => JsonSerializer.Serialize(payload, Payloads.Json);

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
        var reviewer = config.ByRole(AgentRole.Reviewer, repository.FullName);
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

    private string FinalComment(TaskRecord task, ForgeTask forgeTask, TaskState state, RunOutcome outcome)
    {
        var ok = state == TaskState.Succeeded;
        var pull = forgeTask.Kind == ForgeWork.Implement ? PullPlaceholder : forgeTask.PullNumber is { } n ? $"#{n}" : "-";
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"{(ok ? "✅" : "❌")} **{task.Agent}** {state.ToName()} ({Describe(forgeTask)}): {outcome.Reason}")
            .AppendLine()
            .AppendLine("| duration | cost | turns | branch | pull request | task |")
            .AppendLine("|---|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture,
                $"| {outcome.DurationMs / 1000.0:0.#} s | {(outcome.CostUsd is { } cost ? $"${cost:0.####}" : "-")} | {outcome.Turns} | {outcome.Branch ?? "-"} | {pull} | [`{task.Id}`]({TaskLink(task.Id)}) |");
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

    /// <summary>The task's read-only dashboard page, signed and expiring, so a person who clicks it in the forge needs no token.</summary>
    private string TaskLink(string id) =>
        Forge.PublicUrl.ToString().TrimEnd('/') + links.PathFor(Dashboard.DashboardAccess.TaskResource(id), clock.GetUtcNow() + config.Service.LinkTtl);

    [LoggerMessage(Level = LogLevel.Information, Message = "forge: queued {Kind} of {Repo}#{Number} for {Agent} as task {TaskId} ({Source})")]
    private partial void LogQueued(string kind, string repo, long number, string agent, string taskId, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge: {Repo}#{Number} moved from {Reviewed} to {Head} while it was reviewed; the verdict is not used for the new head")]
    private partial void LogHeadMoved(string repo, long number, string reviewed, string head);
}
