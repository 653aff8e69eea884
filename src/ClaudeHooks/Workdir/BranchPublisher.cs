using ClaudeHooks.Agents;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Workdir;

/// <summary>
/// Pushes a task's branch from its worktree to the remote with the agent's token, reporting the commits that were
/// new to the remote. Pushing the same branch again is a no-op, so a re-run never duplicates it.
/// </summary>
internal sealed class BranchPublisher(AgentExec exec)
{
    private const string PushScript = """
        set -eu
        cd "$1"
        branch=$2
        commits=$(git rev-list --reverse HEAD --not --remotes=origin)
        [ -n "$commits" ] || exit 0
        git push -q origin "HEAD:refs/heads/$branch" >&2
        git fetch -q origin "refs/heads/$branch:refs/remotes/origin/$branch" >&2
        for commit in $commits; do git log -1 --format='%H %s' "$commit"; done
        """;

    public async Task<IReadOnlyList<PushedCommit>> PushAsync(string container, string user, string worktree, string branch, IReadOnlyList<string> environment, CancellationToken cancellationToken)
    {
        var result = await exec.RunAsync(container, ["sh", "-c", PushScript, "push", worktree, branch], environment, user, cancellationToken: cancellationToken);
        if (!result.Succeeded)
        {
            var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            throw new WorkdirException($"pushing {branch} failed: {(lines.Length == 0 ? $"git exited with {result.ExitCode}" : string.Join(" | ", lines.TakeLast(3)))}");
        }

        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .Select(parts => new PushedCommit(parts[0], parts.Length > 1 ? parts[1] : ""))
            .ToList();
    }
}
