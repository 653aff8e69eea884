using System.Globalization;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Workdir;

/// <summary>
/// Repository caches and worktrees inside an agent's state volume. All git work runs in the agent's container;
/// fetches into one cache are serialised with flock, so concurrent threads and processes never race.
/// </summary>
internal sealed class WorktreeManager(AgentExec exec)
{
    // Arguments reach the script as positional parameters, never spliced into its text.
    private const string PrepareScript = """
        set -eu
        cache=$1 url=$2 worktree=$3 branch=$4 base=$5
        mkdir -p "${cache%/*}" "${worktree%/*}"
        exec 9>"$cache.lock"
        flock 9
        if [ ! -d "$cache/objects" ]; then
            git init -q --bare "$cache"
            git -C "$cache" config remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*'
        fi
        git -C "$cache" config remote.origin.url "$url"
        git -C "$cache" fetch -q --prune --tags origin
        git -C "$cache" worktree prune
        if [ -e "$worktree/.git" ]; then
            echo reused
        else
            if git -C "$cache" rev-parse -q --verify "refs/heads/$branch" >/dev/null; then
                git -C "$cache" worktree add -q "$worktree" "$branch"
            else
                if git -C "$cache" rev-parse -q --verify "refs/remotes/origin/$branch^{commit}" >/dev/null; then
                    start="refs/remotes/origin/$branch"
                elif [ -n "$base" ]; then
                    if git -C "$cache" rev-parse -q --verify "refs/remotes/origin/$base^{commit}" >/dev/null; then
                        start="refs/remotes/origin/$base"
                    elif git -C "$cache" rev-parse -q --verify "$base^{commit}" >/dev/null; then
                        start="$base"
                    else
                        echo "base ref '$base' does not exist in the repository" >&2
                        exit 3
                    fi
                else
                    git -C "$cache" remote set-head origin --auto >/dev/null 2>&1 || true
                    if ! git -C "$cache" rev-parse -q --verify "refs/remotes/origin/HEAD^{commit}" >/dev/null; then
                        echo "the repository has no default branch (is it empty?); pass a base ref" >&2
                        exit 3
                    fi
                    start=refs/remotes/origin/HEAD
                fi
                git -C "$cache" worktree add -q --no-track -b "$branch" "$worktree" "$start"
            fi
            echo created
        fi
        touch "$worktree.last-used"
        """;

    private const string CleanupScript = """
        set -u
        stale_seconds=$1; shift
        now=$(date +%s)
        for cache in $(find /state/cache -type d -name '*.git' -prune 2>/dev/null); do
            git -C "$cache" worktree prune
            git -C "$cache" worktree list --porcelain | sed -n 's/^worktree //p' | while read -r wt; do
                [ "$wt" = "$cache" ] && continue
                finished=no
                for f in "$@"; do [ "$f" = "$wt" ] && finished=yes; done
                used=$(stat -c %Y "$wt.last-used" 2>/dev/null || stat -c %Y "$wt")
                if [ "$finished" = no ] && [ $((now - used)) -lt "$stale_seconds" ]; then continue; fi
                if [ -n "$(git -C "$wt" status --porcelain 2>/dev/null)" ]; then
                    echo "kept $wt uncommitted changes"; continue
                fi
                ahead=$(git -C "$wt" rev-list --count HEAD --not --remotes=origin 2>/dev/null || echo 0)
                if [ "$ahead" -gt 0 ]; then
                    echo "kept $wt $ahead unpushed commit(s) on $(git -C "$wt" rev-parse --abbrev-ref HEAD)"; continue
                fi
                branch=$(git -C "$wt" rev-parse --abbrev-ref HEAD 2>/dev/null || true)
                git -C "$cache" worktree remove --force "$wt" && rm -f "$wt.last-used"
                [ -n "$branch" ] && [ "$branch" != HEAD ] && git -C "$cache" branch -q -D "$branch" 2>/dev/null
                echo "removed $wt"
            done
        done
        """;

    public async Task<Worktree> PrepareAsync(
        string container,
        string user,
        RepositoryUrl repository,
        string agent,
        string thread,
        string? baseRef,
        IReadOnlyList<string> environment,
        CancellationToken cancellationToken)
    {
        var branch = GitNames.Branch(agent, thread);
        var path = repository.WorktreePath(thread);
        var result = await exec.RunAsync(
            container,
            ["sh", "-c", PrepareScript, "prepare", repository.CachePath, repository.Url, path, branch, baseRef is null ? "" : GitNames.Ref(baseRef)],
            environment,
            user,
            cancellationToken: cancellationToken);
        if (!result.Succeeded)
        {
            throw new WorkdirException($"preparing worktree {path} from {repository.Url} failed: {LastLines(result.Stderr)}");
        }

        return new Worktree(path, branch, result.Stdout.Trim().EndsWith("created", StringComparison.Ordinal));
    }

    /// <summary>Removes worktrees idle for <paramref name="staleAfter"/> or listed as finished, keeping any with work not yet pushed.</summary>
    public async Task<IReadOnlyList<WorktreeCleanup>> CleanupAsync(string container, string user, TimeSpan staleAfter, IReadOnlyList<string> finished, CancellationToken cancellationToken)
    {
        var result = await exec.RunAsync(
            container,
            ["sh", "-c", CleanupScript, "cleanup", ((long)staleAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture), .. finished],
            user: user,
            cancellationToken: cancellationToken);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 3))
            .Select(parts => new WorktreeCleanup(parts[1], parts[0] == "removed", parts.Length > 2 ? parts[2] : "idle or finished"))
            .ToList();
    }

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "git printed nothing" : string.Join(" | ", lines.TakeLast(3));
    }
}

internal sealed class WorkdirException(string message) : Exception(message);
