using System.Globalization;
using ClaudeHooks.Forge;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// Groups forge tasks into work items. An implement task serves an issue and may open a pull request; the reviews,
/// fixes and merges of that pull request (their number is the pull request's) join the issue's item. A pull request
/// no implement task opened is an item of its own. A mention joins the item of the issue or pull request it was on.
/// </summary>
internal static class WorkChains
{
    private static readonly StringComparer RepoCase = StringComparer.OrdinalIgnoreCase;

    /// <summary>
    /// The work items of <paramref name="rows"/>, newest activity first. <paramref name="forgeOf"/> gives a
    /// repository's configured forge address (null when it is not configured); <paramref name="redact"/> is applied
    /// to every text a run or a forge user could have written.
    /// </summary>
    public static IReadOnlyList<WorkItemView> Group(IEnumerable<WorkTaskRow> rows, Func<string, Uri?> forgeOf, Func<string, string> redact)
    {
        var all = rows.ToList();
        var issueOfPull = new Dictionary<(string Repo, long Pull), long>();
        foreach (var row in all.Where(r => r.Kind == ForgeWork.Implement && r.PullNumber is not null).OrderBy(r => r.CreatedAt))
        {
            issueOfPull.TryAdd((Key(row.Repo), row.PullNumber!.Value), row.Number);
        }

        var items = new Dictionary<(string Repo, long Number), List<WorkTaskRow>>();
        var issues = new HashSet<(string Repo, long Number)>();
        foreach (var row in all.OrderBy(r => r.CreatedAt))
        {
            var (number, isIssue) = Root(row, issueOfPull);
            var key = (Key(row.Repo), number);
            if (!items.TryGetValue(key, out var list))
            {
                items[key] = list = [];
            }

            list.Add(row);
            if (isIssue)
            {
                issues.Add(key);
            }
        }

        // An item is named as its earliest task spells the repository.
        return items
            .Select(item => Build(item.Value[0].Repo, item.Key.Number, issues.Contains(item.Key), item.Value, forgeOf, redact))
            .OrderByDescending(i => i.LastActivity)
            .ThenBy(i => i.Repo, RepoCase)
            .ThenBy(i => i.Number)
            .ToList();
    }

    /// <summary>The item at <paramref name="number"/> of <paramref name="repo"/>: the item itself, or the issue's item whose implement task opened that pull request.</summary>
    public static WorkItemView? Find(IEnumerable<WorkItemView> items, string repo, long number) =>
        items.FirstOrDefault(i => RepoCase.Equals(i.Repo, repo) && i.Number == number)
        ?? items.FirstOrDefault(i => RepoCase.Equals(i.Repo, repo) && i.Pulls.Contains(number));

    private static (long Number, bool IsIssue) Root(WorkTaskRow row, Dictionary<(string Repo, long Pull), long> issueOfPull)
    {
        if (row.Kind == ForgeWork.Implement || (row.Kind == ForgeWork.Mention && OnIssue(row)))
        {
            return (row.Number, true);
        }

        return issueOfPull.TryGetValue((Key(row.Repo), row.Number), out var issue) ? (issue, true) : (row.Number, false);
    }

    /// <summary>
    /// A mention's thread says where the comment was: <c>issue-N</c> of its own number on an issue, anything else on a
    /// pull request (whose thread may be its branch's, <c>issue-M</c> of the issue it implements).
    /// </summary>
    private static bool OnIssue(WorkTaskRow row) => row.Thread == string.Create(CultureInfo.InvariantCulture, $"issue-{row.Number}");

    private static WorkItemView Build(string repo, long number, bool isIssue, List<WorkTaskRow> rows, Func<string, Uri?> forgeOf, Func<string, string> redact)
    {
        var forge = forgeOf(repo);
        var first = rows.Min(r => r.CreatedAt);
        var steps = new List<(WorkStep Step, int Rank)>();
        if (isIssue)
        {
            steps.Add((Synthetic("issue", $"Issue #{number}", first, WorkLinks.Forge(forge, repo, pull: false, number)), 0));
        }
        else
        {
            steps.Add((Synthetic("pull", $"Pull request #{number}", first, WorkLinks.Forge(forge, repo, pull: true, number)), 1));
        }

        var pulls = new List<long>();
        foreach (var row in rows)
        {
            steps.Add((TaskStep(row, forge, redact), 2));
            if (row.Kind == ForgeWork.Implement && row.PullNumber is { } pull && !pulls.Contains(pull))
            {
                pulls.Add(pull);
                steps.Add((Synthetic("pull", $"Pull request #{pull} opened", row.PullOpenedAt ?? row.UpdatedAt, WorkLinks.Forge(forge, repo, pull: true, pull)), 3));
            }
        }

        var latest = rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.UpdatedAt).First();
        var costs = rows.Where(r => r.CostUsd is not null).Select(r => r.CostUsd!.Value).ToList();
        var durations = rows.Where(r => r.DurationMs is not null).Select(r => r.DurationMs!.Value).ToList();
        return new WorkItemView(
            repo,
            number,
            isIssue ? "issue" : "pull",
            WorkLinks.Forge(forge, repo, pull: !isIssue, number),
            pulls,
            // The step that opened a pull request comes after its implement task even when they share a time.
            steps.OrderBy(s => s.Step.At).ThenBy(s => s.Rank).ThenBy(s => s.Step.TaskId, StringComparer.Ordinal).Select(s => s.Step).ToList(),
            rows.Count,
            costs.Count == 0 ? null : costs.Sum(),
            durations.Count == 0 ? null : durations.Sum(),
            first,
            rows.Max(r => r.UpdatedAt),
            latest.Kind,
            latest.State);
    }

    private static WorkStep Synthetic(string step, string title, DateTimeOffset at, string? forgeUrl) =>
        new(step, title, at, null, null, null, null, null, null, forgeUrl, null, null, null);

    private static WorkStep TaskStep(WorkTaskRow row, Uri? forge, Func<string, string> redact)
    {
        var onPull = row.Kind switch
        {
            ForgeWork.Implement => false,
            ForgeWork.Mention => !OnIssue(row),
            _ => true,
        };
        var title = row.Kind switch
        {
            ForgeWork.Implement => $"Implement #{row.Number}",
            ForgeWork.Review => $"Review of #{row.Number}",
            ForgeWork.Fix => $"Fix for the review of #{row.Number}",
            ForgeWork.Merge => $"Merge of #{row.Number}",
            ForgeWork.Mention => $"Mention on #{row.Number}",
            _ => $"{row.Kind} #{row.Number}",
        };
        return new WorkStep(
            row.Kind, title, row.CreatedAt, row.TaskId, row.Agent, row.State, row.CostUsd, row.DurationMs,
            row.Verdict is null ? null : redact(row.Verdict),
            WorkLinks.Forge(forge, row.Repo, onPull, row.Number),
            row.DeliveryId,
            row.Reason is null ? null : redact(row.Reason),
            row.HeadSha);
    }

    /// <summary>Forges ignore case in owner and repository names: <c>ACME/Web</c> is <c>acme/web</c>.</summary>
    private static string Key(string repo) => repo.ToLowerInvariant();
}
