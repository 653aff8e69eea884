using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Forge;

/// <summary>
/// The lead's merge, a task of its own kind: no model runs. It merges only an open pull request whose current head
/// the latest verdict of a review task the service itself ran approves, with that review still standing on the
/// forge (not dismissed); a review posted any other way, even with the reviewer's token, counts for nothing. The
/// merge is a forge write like any other: recorded, carried out once, and looked for on the forge after a lost
/// answer. "Try again later" is a transient failure, retried by the state machine.
/// </summary>
internal sealed class MergePerformer(AgentsConfig config, IForgeStore forgeStore, ForgeFlows flows, ForgeOutbox outbox, TimeProvider clock) : ITaskPerformer
{
    public string Kind => TaskPerformers.Merge;

    public async Task<RunOutcome> PerformAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        RunOutcome Done(RunStatus status, string reason, bool transient = false) =>
            new(status, reason, null, false, 0, 0m, (long)(clock.GetUtcNow() - started).TotalMilliseconds, null, null, reason, null, null, null, 0, Transient: transient);

        var forgeTask = await forgeStore.GetForgeTaskAsync(task.Id, cancellationToken);
        if (forgeTask is null || config.Forge?.Find(forgeTask.Repo) is not { } repository)
        {
            return Done(RunStatus.Failed, $"task {task.Id} is a merge of no configured repository's pull request");
        }

        var lead = config.Find(task.Agent)!;
        var client = flows.Client(lead, repository);
        var pull = await client.GetPullAsync(repository.FullName, forgeTask.Number, cancellationToken);
        if (pull.Merged || pull.State != "open")
        {
            return Done(pull.Merged ? RunStatus.Succeeded : RunStatus.Failed, pull.Merged ? $"#{pull.Number} was already merged" : $"#{pull.Number} is {pull.State}; nothing to merge");
        }

        var verdict = await forgeStore.LatestVerdictAsync(repository.FullName, pull.Number, cancellationToken);
        if (verdict is not { Verdict: "APPROVED" } || !string.Equals(verdict.HeadSha, pull.Head.Sha, StringComparison.OrdinalIgnoreCase))
        {
            return Done(RunStatus.Failed, $"not merging #{pull.Number}: {(verdict is null ? "no review task of the service has given a verdict on it" : $"the service's latest review (task {verdict.TaskId}) says {verdict.Verdict} on {Short(verdict.HeadSha)}")}, and the head is {Short(pull.Head.Sha)}; approvals posted any other way do not count");
        }

        var review = (await client.ListReviewsAsync(repository.FullName, pull.Number, cancellationToken)).FirstOrDefault(r => r.Id == verdict.ReviewId);
        if (review is null || review.Dismissed || review.Stale)
        {
            return Done(RunStatus.Failed, $"not merging #{pull.Number}: the service's approving review {verdict.ReviewId} is {(review is null ? "gone from the forge" : review.Dismissed ? "dismissed" : "stale")}");
        }

        if (repository.MergeRequiresHumanApproval && !await HumanApprovedAsync(pull, repository, client, cancellationToken))
        {
            return Done(RunStatus.Failed, $"not merging #{pull.Number}: {repository.FullName} also needs an approval of {Short(pull.Head.Sha)} by an authorised person (forge.repositories.{repository.FullName}.merge_requires_human_approval), and there is none");
        }

        if (pull.Mergeable == false)
        {
            return await AskDevToUpdateAsync(task, pull, repository, Done, cancellationToken);
        }

        var intent = new ForgeIntent($"merge:{task.Id}:{task.Attempt}", task.Id, repository.FullName, lead.Name, ForgeIntent.Merge,
            System.Text.Json.JsonSerializer.Serialize(new
            {
                number = pull.Number, sha = pull.Head.Sha, style = repository.MergeStyle, branch = pull.Head.Ref,
                same_repository = pull.Head.Repo is null || string.Equals(pull.Head.Repo.FullName, repository.FullName, StringComparison.OrdinalIgnoreCase),
            }, Payloads.Json));
        var done = await outbox.RunNowAsync(intent, cancellationToken);
        if (done.State != StoredIntent.Done || done.Result is null)
        {
            return Done(RunStatus.Failed, $"merging #{pull.Number} failed: {done.LastError}", transient: true);
        }

        var result = Payloads.Read(done.Result);
        if (result.GetProperty("merged").GetBoolean())
        {
            return Done(RunStatus.Succeeded, $"merged #{pull.Number} at {Short(pull.Head.Sha)} ({repository.MergeStyle}) and deleted {pull.Head.Ref}");
        }

        return result.GetProperty("conflict").GetBoolean()
            ? await AskDevToUpdateAsync(task, pull, repository, Done, cancellationToken)
            : Done(RunStatus.Failed, $"the forge answered \"try again later\" to merging #{pull.Number}", transient: true);
    }

    private async Task<RunOutcome> AskDevToUpdateAsync(TaskRecord task, ForgePull pull, ForgeRepository repository, Func<RunStatus, string, bool, RunOutcome> done, CancellationToken cancellationToken)
    {
        if (config.ByRole(AgentRole.Dev, repository.FullName) is { } dev)
        {
            var work = new ForgeWork(ForgeWork.Mention, dev.Name, repository.FullName, pull.Number, ForgeRouter.ThreadOf(dev, pull.Head.Ref, pull.Number), null, pull.Head.Sha,
                $"{repository.FullName}|update|{pull.Number}|{pull.Head.Sha}", task.Agent,
                $"Pull request #{pull.Number} cannot be merged: it conflicts with {pull.Base.Ref}. Merge origin/{pull.Base.Ref} into your branch, resolve the conflicts, run the tests and commit.");
            await flows.QueueAsync(work, $"task {task.Id}", null, null, cancellationToken);
        }

        return done(RunStatus.Failed, $"#{pull.Number} conflicts with {pull.Base.Ref}; asked {config.ByRole(AgentRole.Dev, repository.FullName)?.Name ?? "the dev agent"} to update the branch", false);
    }

    /// <summary>An approval standing on the current head by someone who is no agent account and may ask for work (the webhook rule).</summary>
    private async Task<bool> HumanApprovedAsync(ForgePull pull, ForgeRepository repository, IForgeClient client, CancellationToken cancellationToken)
    {
        var reviews = await client.ListReviewsAsync(repository.FullName, pull.Number, cancellationToken);
        foreach (var review in reviews.Where(r => r is { State: "APPROVED", Stale: false, Dismissed: false } && string.Equals(r.CommitId, pull.Head.Sha, StringComparison.OrdinalIgnoreCase)))
        {
            if (review.User?.Login is { } login && config.ByForgeUser(login) is null && await ForgeAuthorization.MayAskAsync(login, repository, () => client, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    private static string Short(string sha) => sha[..Math.Min(8, sha.Length)];
}
