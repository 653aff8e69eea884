using ClaudeHooks.Config;

namespace ClaudeHooks.Forge;

/// <summary>
/// The backstop for webhooks that never arrived (the forge does not retry): every <c>forge.reconcile_interval</c> it
/// asks the forge for issues assigned to the dev agent, review requests pending for the reviewer and approved pull
/// requests not merged, and feeds them through the same semantic dedupe as webhooks.
/// </summary>
internal sealed partial class ForgeReconciler(AgentsConfig config, ForgeFlows flows, ILogger<ForgeReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var forge = config.Forge!;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(forge.ReconcileInterval, stoppingToken);
                foreach (var repository in forge.Repositories)
                {
                    await ReconcileAsync(repository, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ForgeApiException or HttpRequestException)
            {
                LogFailed(e.Message);
            }
        }
    }

    internal async Task<int> ReconcileAsync(ForgeRepository repository, CancellationToken cancellationToken)
    {
        var queued = 0;
        var dev = config.ByRole(AgentRole.Dev);
        var reviewer = config.ByRole(AgentRole.Reviewer);
        var lead = config.ByRole(AgentRole.Lead);
        if (dev is not null && repository.Runs(ForgeWork.Implement))
        {
            foreach (var issue in await flows.Client(dev, repository).ListOpenIssuesAsync(repository.FullName, cancellationToken))
            {
                if (issue.PullRequest is null && (issue.Assignees ?? []).Any(a => string.Equals(a.Login, dev.ForgeUser, StringComparison.OrdinalIgnoreCase))
                    && await flows.QueueAsync(ForgeRouter.ImplementWork(dev, repository.FullName, issue.Number, null), "backstop", issue.Title, issue.Body, cancellationToken) is not null)
                {
                    queued++;
                }
            }
        }

        var client = flows.Client(reviewer ?? lead ?? dev!, repository);
        foreach (var pull in await client.ListOpenPullsAsync(repository.FullName, cancellationToken))
        {
            if (reviewer is not null && repository.Runs(ForgeWork.Review)
                && (pull.RequestedReviewers ?? []).Any(r => string.Equals(r.Login, reviewer.ForgeUser, StringComparison.OrdinalIgnoreCase))
                && await flows.QueueAsync(ForgeRouter.ReviewWork(reviewer, repository.FullName, pull.Number, pull.Head.Ref, pull.Head.Sha, null), "backstop", null, null, cancellationToken) is not null)
            {
                queued++;
            }

            if (lead is not null && reviewer is not null && repository.Runs(ForgeWork.Merge))
            {
                var latest = (await client.ListReviewsAsync(repository.FullName, pull.Number, cancellationToken))
                    .LastOrDefault(r => string.Equals(r.User?.Login, reviewer.ForgeUser, StringComparison.OrdinalIgnoreCase) && r.State is "APPROVED" or "REQUEST_CHANGES");
                if (latest is { State: "APPROVED", Stale: false, Dismissed: false } && latest.CommitId == pull.Head.Sha
                    && await flows.QueueAsync(ForgeRouter.MergeWork(lead, repository.FullName, pull.Number, pull.Head.Sha, null), "backstop", null, null, cancellationToken) is not null)
                {
                    queued++;
                }
            }
        }

        return queued;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge backstop: {Error}")]
    private partial void LogFailed(string error);
}
