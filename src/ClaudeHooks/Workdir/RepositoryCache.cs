using System.Globalization;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Workdir;

/// <summary>
/// The agent's repository caches: bare mirrors under <c>/state/cache</c> in its long-lived container, written only
/// by the maintenance user there and mounted read-only into every sandbox. The service's fetches and pushes run
/// here, through the gateway (which holds the token), with a git that reads no config but the cache's own. Work of
/// one cache is serialised with flock.
/// </summary>
internal sealed partial class RepositoryCache(ContainerRuntime runtime)
{
    /// <summary>The largest CLAUDE.md passed on to the agent.</summary>
    public const int MaxGuidanceBytes = 64 * 1024;

    // The container has no network: each script runs a forwarder of its own from a free loopback port to this
    // process's gateway socket, and git reaches the remote as http://127.0.0.1:<port>/git/<owner>/<repo>.git. The
    // gateway adds the agent's token and applies the task's policy (named in the http.extraHeader of the exec).
    private const string Forwarder = """
        forwarder=
        gateway() {
            for try in 1 2 3 4 5 6 7 8; do
                port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
                hex=$(printf '%04X' "$port")
                socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$GATEWAY_SOCKET" 2>/dev/null &
                forwarder=$!
                i=0
                while [ "$i" -lt 200 ] && kill -0 "$forwarder" 2>/dev/null; do
                    if grep -q "0100007F:$hex 00000000:0000 0A" /proc/net/tcp; then
                        url="http://127.0.0.1:$port$1"
                        return 0
                    fi
                    sleep 0.01
                    i=$((i + 1))
                done
                kill "$forwarder" 2>/dev/null || true
                forwarder=
            done
            echo "the gateway's forwarder could not listen on loopback (is socat in the image?)" >&2
            exit 6
        }

        """;

    // Arguments reach every script as positional parameters, never spliced into its text.
    private const string PrepareScript = Forwarder + """
        set -eu
        cache=$1 remote=$2 branch=$3 base=$4 guidance=$5 key=$6 repo=$7 pin=${8:-}
        trap '[ -z "$forwarder" ] || kill "$forwarder" 2>/dev/null' EXIT
        gateway "$remote"
        exec 9>"$cache.lock"
        if ! flock -w 120 9; then
            echo "another task has held the cache for over 2 minutes; try again later" >&2
            exit 5
        fi
        mkdir -p "$cache.users"
        : > "$cache.users/$key"
        printf '%s\n' "$repo" > "$cache.repo"
        fresh=no
        if [ ! -d "$cache/objects" ]; then
            git init -q --bare --template= "$cache"
            fresh=yes
        fi
        touch "$cache.lock"
        git -C "$cache" fetch -q --prune --no-tags "$url" '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'
        case "$base" in
            # A pull request's head, kept by the forge in this repository whichever repository (a fork) it comes from.
            refs/pull/*) git -C "$cache" fetch -q --no-tags "$url" "+$base:$base" ;;
        esac
        if [ -n "$pin" ]; then
            at=$(git -C "$cache" rev-parse -q --verify "$base^{commit}" || true)
            if [ "$at" != "$pin" ]; then
                echo "head-moved ${at:-none}"
                exit 7
            fi
        fi
        if [ -z "$base" ] && { [ "$fresh" = yes ] || ! git -C "$cache" rev-parse -q --verify 'HEAD^{commit}' >/dev/null; }; then
            default=$(git -C "$cache" ls-remote --symref "$url" HEAD | awk '$1 == "ref:" && $3 == "HEAD" { sub("^refs/heads/", "", $2); print $2 }')
            [ -z "$default" ] || git -C "$cache" symbolic-ref HEAD "refs/heads/$default"
        fi
        exists=no
        if [ -n "$pin" ]; then
            start=$pin
        elif git -C "$cache" rev-parse -q --verify "refs/heads/$branch^{commit}" >/dev/null; then
            start=refs/heads/$branch exists=yes
        elif [ -n "$base" ]; then
            if git -C "$cache" rev-parse -q --verify "refs/heads/$base^{commit}" >/dev/null; then
                start=refs/heads/$base
            elif git -C "$cache" rev-parse -q --verify "$base^{commit}" >/dev/null; then
                start=$base
            else
                echo "base ref '$base' does not exist in the repository" >&2
                exit 3
            fi
        elif git -C "$cache" rev-parse -q --verify 'HEAD^{commit}' >/dev/null; then
            start=HEAD
        else
            echo "the repository has no default branch (is it empty?); pass a base ref" >&2
            exit 3
        fi
        echo "start $(git -C "$cache" rev-parse "$start^{commit}")"
        echo "branch-exists $exists"
        guide=${guidance:-HEAD}
        if git -C "$cache" cat-file -e "$guide:CLAUDE.md" 2>/dev/null; then
            echo "guidance $guide"
            echo ---
            git -C "$cache" cat-file blob "$guide:CLAUDE.md" | head -c 65536
        fi
        """;

    // The bundle comes from the sandbox and is untrusted: it is verified against the cache, fetched under a ref no
    // clone sees, and pushed from there; the remote URL is the task's, never one from any config. A crafted pack can
    // make indexing slow, so verify, fetch and push each get a time limit (and the script a CPU limit) well inside
    // the runner's deadline: the cache's lock is never held for long.
    private const string PublishScript = Forwarder + """
        set -eu
        cache=$1 remote=$2 branch=$3 key=$4 limit=$5
        ulimit -t $((limit * 2))
        exec 9>"$cache.lock"
        if ! flock -w "$limit" 9; then
            echo "the cache was busy for over ${limit}s" >&2
            exit 5
        fi
        bundle=$(mktemp /tmp/incoming.XXXXXX)
        incoming=refs/claude-hooks/incoming/$key
        trap 'rm -f "$bundle" "$cache.users/$key"; git -C "$cache" update-ref -d "$incoming" 2>/dev/null || true; [ -z "$forwarder" ] || kill "$forwarder" 2>/dev/null' EXIT
        cat > "$bundle"
        [ -s "$bundle" ] || exit 0
        if ! timeout -s KILL "$limit" git -C "$cache" bundle verify -q "$bundle" >/dev/null 2>&1; then
            echo "the task's commits do not apply to the repository as cached (the bundle does not verify in ${limit}s)" >&2
            exit 4
        fi
        if ! timeout -s KILL "$limit" git -C "$cache" fetch -q --no-tags "$bundle" "+HEAD:$incoming"; then
            echo "reading the task's commits into the cache failed or took over ${limit}s" >&2
            exit 4
        fi
        commits=$(git -C "$cache" rev-list --reverse "$incoming" --not --branches)
        [ -n "$commits" ] || exit 0
        gateway "$remote"
        timeout -s KILL "$limit" git -C "$cache" push -q "$url" "$incoming:refs/heads/$branch" >&2
        git -C "$cache" update-ref "refs/heads/$branch" "$incoming"
        for commit in $commits; do git -C "$cache" log -1 --format='%H %s' "$commit"; done
        """;

    // Removes caches idle for longer than the given age. A running task marks its cache (its checkout borrows the
    // cache's objects), so a cache marked by a live task, or locked for a fetch or a push, is kept; marks of tasks
    // no longer running are dropped. No task's checkout is reachable from here at all.
    private const string PruneScript = """
        set -u
        stale_seconds=$1; shift
        now=$(date +%s)
        find /state/cache -type d -name '*.git' -prune 2>/dev/null | while read -r cache; do
            used=$(stat -c %Y "$cache.lock" 2>/dev/null || stat -c %Y "$cache")
            exec 9>>"$cache.lock"
            repo=$(cat "$cache.repo" 2>/dev/null || echo "?")
            if ! flock -n 9; then printf 'kept\t%s\t%s\tin use by a fetch or a push\n' "$cache" "$repo"; exec 9>&-; continue; fi
            holder=
            for mark in "$cache.users"/*; do
                [ -e "$mark" ] || continue
                key=${mark##*/} live=no
                for running in "$@"; do [ "$running" = "$key" ] && live=yes; done
                if [ "$live" = yes ]; then holder=$key; else rm -f "$mark"; fi
            done
            if [ -n "$holder" ]; then printf 'kept\t%s\t%s\tin use by running task %s\n' "$cache" "$repo" "$holder"; exec 9>&-; continue; fi
            if [ $((now - used)) -lt "$stale_seconds" ]; then printf 'kept\t%s\t%s\tused %ss ago\n' "$cache" "$repo" "$((now - used))"; exec 9>&-; continue; fi
            rm -rf "$cache" "$cache.users" "$cache.repo" && printf 'removed\t%s\t%s\t\n' "$cache" "$repo"
            exec 9>&-
        done
        """;

    /// <summary>
    /// Fetches the remote into the cache and finds where the thread's checkout starts: its branch as last pushed,
    /// else the base ref, else the default branch. Also returns the CLAUDE.md of <paramref name="guidanceRef"/>
    /// (default: the default branch), the repository's own guidance as the agent will see it.
    /// </summary>
    /// <remarks>The cache is marked as used by <paramref name="taskKey"/> until <see cref="PublishAsync"/> for that task, so a prune keeps it.</remarks>
    public async Task<CachedRepository> PrepareAsync(string container, AgentConfig agent, string cache, RepositoryUrl repository, string branch, string? baseRef, string? guidanceRef, string taskKey, IReadOnlyList<string> environment, CancellationToken cancellationToken, string? baseCommit = null)
    {
        if (baseCommit is not null && (baseRef is null || !CommitId().IsMatch(baseCommit)))
        {
            throw new WorkdirException($"a task pinned to commit \"{baseCommit}\" needs a base ref and a full 40-character commit id");
        }

        var result = await runtime.ExecAsync(
            container,
            ["sh", "-c", PrepareScript, "prepare", cache, repository.GatewayPath, branch, baseRef is null ? "" : GitNames.Ref(baseRef), guidanceRef is null ? "" : GitNames.Ref(guidanceRef), taskKey, repository.Key, baseCommit ?? ""],
            environment,
            ResourceNames.MaintenanceUser,
            cancellationToken: cancellationToken);
        if (result.ExitCode == 7 && result.Stdout.StartsWith("head-moved ", StringComparison.Ordinal))
        {
            throw new HeadMovedException(baseRef!, baseCommit!, result.Stdout["head-moved ".Length..].Trim());
        }

        if (!result.Succeeded)
        {
            throw new WorkdirException($"fetching {repository.Url} into the cache of agent {agent.Name} failed: {LastLines(result.Stderr)}");
        }

        return Prepared(result.Stdout);
    }

    /// <summary>
    /// Reads what a prepare script printed: <c>start</c>, <c>branch-exists</c> and <c>guidance</c> lines (other
    /// names are ignored), then, after a <c>---</c> line, the guidance's text.
    /// </summary>
    internal static CachedRepository Prepared(string stdout)
    {
        var (header, guidance) = stdout.IndexOf("\n---\n", StringComparison.Ordinal) is var cut and >= 0
            ? (stdout[..cut], stdout[(cut + 5)..])
            : (stdout, null);
        var fields = header.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length > 1 ? parts[1] : "", StringComparer.Ordinal);
        return new CachedRepository(fields["start"], fields["branch-exists"] == "yes", fields.GetValueOrDefault("guidance"), guidance);
    }

    /// <summary>
    /// Verifies the task's commits (a bundle made in its sandbox; empty when there are none), pushes them to the
    /// thread's branch, reports those new to the remote, and drops the task's mark on the cache. Each git step may
    /// take <c>limit</c> (the caller's deadline should be longer).
    /// </summary>
    public async Task<IReadOnlyList<PushedCommit>> PublishAsync(string container, string cache, RepositoryUrl repository, string branch, string taskKey, byte[] bundle, TimeSpan limit, IReadOnlyList<string> environment, CancellationToken cancellationToken)
    {
        var result = await runtime.ExecWithInputAsync(
            container,
            ["sh", "-c", PublishScript, "publish", cache, repository.GatewayPath, branch, taskKey, ((long)Math.Max(1, limit.TotalSeconds)).ToString(CultureInfo.InvariantCulture)],
            bundle,
            new ExecOptions(environment, ResourceNames.MaintenanceUser),
            cancellationToken);
        if (!result.Succeeded)
        {
            throw new WorkdirException($"pushing {branch} failed: {LastLines(result.Stderr)}");
        }

        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .Select(parts => new PushedCommit(parts[0], parts.Length > 1 ? parts[1] : ""))
            .ToList();
    }

    /// <summary>Removes caches not used for <paramref name="staleAfter"/>, keeping any that one of <paramref name="liveTaskKeys"/> (running tasks) holds.</summary>
    public async Task<IReadOnlyList<CachePrune>> PruneAsync(string container, TimeSpan staleAfter, IReadOnlySet<string> liveTaskKeys, CancellationToken cancellationToken)
    {
        var result = await runtime.ExecAsync(
            container,
            ["sh", "-c", PruneScript, "prune", ((long)staleAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture), .. liveTaskKeys],
            user: ResourceNames.MaintenanceUser,
            cancellationToken: cancellationToken);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 4))
            .Where(parts => parts.Length == 4)
            .Select(parts => new CachePrune(parts[1], parts[2], parts[0] == "removed", parts[3]))
            .ToList();
    }

    internal static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "git printed nothing" : string.Join(" | ", lines.TakeLast(3));
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial System.Text.RegularExpressions.Regex CommitId();
}

/// <summary>What a task starts from: the commit, whether the thread's branch exists, and the repository's guidance (CLAUDE.md) and where it came from.</summary>
internal sealed record CachedRepository(string StartCommit, bool BranchExists, string? GuidanceRef, string? Guidance);

internal sealed record CachePrune(string Path, string Repository, bool Removed, string Detail);

internal sealed class WorkdirException(string message) : Exception(message);
