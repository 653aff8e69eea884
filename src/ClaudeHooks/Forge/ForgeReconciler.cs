using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Forge;

/// <summary>
/// The backstop for webhooks that never arrived (the forge does not retry): every <c>forge.reconcile_interval</c> it
/// asks the forge for issues assigned to the dev agent, review requests pending for the reviewer and approved pull
/// requests not merged, and feeds them through the same semantic dedupe as webhooks. What it finds is held to the
/// webhook path's authorisation (<see cref="ForgeAuthorization"/>), asked of whoever assigned the issue or requested the
/// review, read from the timeline: the state alone does not say who asked, and Forgejo lets a pull request's own author
/// request reviewers. A failure (a missing token file, the forge) costs only its repository's or agent's part of the
/// pass; the loop itself never ends but with the service.
/// </summary>
internal sealed partial class ForgeReconciler(
    AgentsConfig config,
    Func<AgentConfig, ForgeRepository, IForgeClient> clients,
    ForgeQueue queue,
    IForgeStore forgeStore,
    ILogger<ForgeReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var forge = config.Forge!;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(forge.ReconcileInterval, stoppingToken);
                await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One pass over every repository; a repository that fails is logged with the fix and the next one goes on.</summary>
    internal async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        var queued = 0;
        foreach (var repository in config.Forge!.Repositories)
        {
            try
            {
                queued += await ReconcileAsync(repository, cancellationToken);
            }
            catch (Exception e) when (Failed(e, cancellationToken))
            {
                LogRepositoryFailed(repository.FullName, Describe(e));
            }
        }

        return queued;
    }

    internal async Task<int> ReconcileAsync(ForgeRepository repository, CancellationToken cancellationToken)
    {
        var queued = 0;
        var dev = config.ByRole(AgentRole.Dev, repository.FullName);
        var reviewer = config.ByRole(AgentRole.Reviewer, repository.FullName);
        var lead = config.ByRole(AgentRole.Lead, repository.FullName);
        // Who may ask, per user, for this pass: many items asked for by the same few people cost one question each.
        var authorized = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        if (dev is not null && repository.Runs(ForgeWork.Implement))
        {
            try
            {
                queued += await ImplementAssignedAsync(dev, repository, authorized, cancellationToken);
            }
            catch (Exception e) when (Failed(e, cancellationToken))
            {
                // The dev's part only (its token, its listing): the reviews and merges below still run.
                LogAgentFailed(repository.FullName, dev.Name, Describe(e));
            }
        }

        var client = clients(reviewer ?? lead ?? dev!, repository);
        foreach (var pull in await client.ListOpenPullsAsync(repository.FullName, cancellationToken))
        {
            if (reviewer is not null && repository.Runs(ForgeWork.Review)
                && (pull.RequestedReviewers ?? []).Any(r => string.Equals(r.Login, reviewer.ForgeUser, StringComparison.OrdinalIgnoreCase))
                && await ReviewRequestedAsync(client, reviewer, repository, pull, authorized, cancellationToken))
            {
                queued++;
            }

            if (lead is not null && reviewer is not null && repository.Runs(ForgeWork.Merge))
            {
                // Only the service's own review task's verdict on this very head leads to a merge; an approval posted
                // any other way (even with the reviewer's token) does not.
                var verdict = await forgeStore.LatestVerdictAsync(repository.FullName, pull.Number, cancellationToken);
                if (verdict is { Verdict: "APPROVED" } && string.Equals(verdict.HeadSha, pull.Head.Sha, StringComparison.OrdinalIgnoreCase)
                    && await queue(ForgeRouter.MergeWork(lead, repository.FullName, pull.Number, pull.Head.Sha, null), ForgeFlows.BackstopSource, null, null, cancellationToken) is not null)
                {
                    queued++;
                }
            }
        }

        return queued;
    }

    private async Task<int> ImplementAssignedAsync(AgentConfig dev, ForgeRepository repository, Dictionary<string, bool> authorized, CancellationToken cancellationToken)
    {
        var queued = 0;
        var client = clients(dev, repository);
        foreach (var issue in await client.ListOpenIssuesAsync(repository.FullName, cancellationToken))
        {
            if (issue.PullRequest is not null || !(issue.Assignees ?? []).Any(a => string.Equals(a.Login, dev.ForgeUser, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            try
            {
                if (await AuthorizedAskerAsync(client, repository, issue.Number, ForgeTimelineEntry.Assignees, dev.ForgeUser, authorized, cancellationToken) is { } asker
                    && await queue(ForgeRouter.ImplementWork(dev, repository.FullName, issue.Number, asker), ForgeFlows.BackstopSource, issue.Title, issue.Body, cancellationToken) is not null)
                {
                    queued++;
                }
            }
            catch (Exception e) when (Failed(e, cancellationToken))
            {
                LogItemFailed(repository.FullName, issue.Number, Describe(e));
            }
        }

        return queued;
    }

    /// <summary>Queues the review when whoever last asked the reviewer for it may; one pull request's failure leaves the others (and the merges) alone.</summary>
    private async Task<bool> ReviewRequestedAsync(IForgeClient client, AgentConfig reviewer, ForgeRepository repository, ForgePull pull, Dictionary<string, bool> authorized, CancellationToken cancellationToken)
    {
        try
        {
            return await AuthorizedAskerAsync(client, repository, pull.Number, ForgeTimelineEntry.ReviewRequest, reviewer.ForgeUser, authorized, cancellationToken) is { } asker
                && await queue(ForgeRouter.ReviewWork(reviewer, repository.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, asker), ForgeFlows.BackstopSource, null, null, cancellationToken) is not null;
        }
        catch (Exception e) when (Failed(e, cancellationToken))
        {
            LogItemFailed(repository.FullName, pull.Number, Describe(e));
            return false;
        }
    }

    /// <summary>
    /// The user behind the latest <paramref name="type"/> entry that names <paramref name="account"/> (the webhook's
    /// sender, had it arrived), when that user may ask for work; null when nobody may be credited with it.
    /// </summary>
    private async Task<string?> AuthorizedAskerAsync(
        IForgeClient client, ForgeRepository repository, long number, string type, string account, Dictionary<string, bool> authorized, CancellationToken cancellationToken)
    {
        var latest = (await client.ListTimelineAsync(repository.FullName, number, cancellationToken))
            .Where(t => t.Type == type && string.Equals(t.Assignee?.Login, account, StringComparison.OrdinalIgnoreCase))
            .MaxBy(t => t.Id);
        if (latest is not { RemovedAssignee: false, User.Login: { Length: > 0 } asker })
        {
            LogNoAsker(repository.FullName, number, type, account);
            return null;
        }

        if (!authorized.TryGetValue(asker, out var may))
        {
            authorized[asker] = may = await ForgeAuthorization.MayAskAsync(asker, repository, () => client, cancellationToken);
        }

        if (!may)
        {
            LogRefused(repository.FullName, number, type, ForgeAuthorization.Refusal(asker, repository));
            return null;
        }

        return asker;
    }

    private static bool Failed(Exception e, CancellationToken cancellationToken) =>
        e is not OutOfMemoryException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested);

    /// <summary>A credential's and the forge's messages say what to fix (the file to write, the forge's answer); anything else is named by its type.</summary>
    private static string Describe(Exception e) =>
        e is CredentialException or ForgeApiException ? e.Message : $"{e.GetType().Name}: {e.Message}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge backstop: {Repository} skipped this pass: {Error}")]
    private partial void LogRepositoryFailed(string repository, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge backstop: {Repository}: agent {Agent}'s part skipped this pass: {Error}")]
    private partial void LogAgentFailed(string repository, string agent, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge backstop: {Repository}#{Number} skipped this pass: {Error}")]
    private partial void LogItemFailed(string repository, long number, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "forge backstop: {Repository}#{Number}: nothing queued, the timeline has no {Type} entry giving it to {Account}")]
    private partial void LogNoAsker(string repository, long number, string type, string account);

    [LoggerMessage(Level = LogLevel.Information, Message = "forge backstop: {Repository}#{Number}: nothing queued for its {Type}: {Refusal}")]
    private partial void LogRefused(string repository, long number, string type, string refusal);
}
