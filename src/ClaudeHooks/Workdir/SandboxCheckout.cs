using ClaudeHooks.Containers;

namespace ClaudeHooks.Workdir;

/// <summary>
/// A task's checkout inside its sandbox: cloned from the read-only cache (objects shared, nothing copied) before
/// any agent code runs, and at the end read back as a git bundle, the only thing of it that leaves the sandbox.
/// </summary>
internal sealed class SandboxCheckout(ContainerRuntime runtime)
{
    /// <summary>The largest bundle of a task's commits accepted from a sandbox.</summary>
    public const long MaxBundleBytes = 256L * 1024 * 1024;

    /// <summary>The exit code of a launch whose checkout could not be made (the command never started).</summary>
    public const int CheckoutFailedExitCode = 97;

    /// <summary>What a launch whose checkout failed prints before git's own message.</summary>
    public const string CheckoutFailedMarker = "claude-hooks: making the checkout failed:";

    // The checkout is made once per sandbox; a second launch (a fresh session after a failed resume) reuses it. Its
    // origin is then the task's repository on the gateway's git route, the only remote the sandbox can reach.
    private const string Prepare = """
        prepare() {
            mkdir -p "$CLAUDE_CONFIG_DIR" &&
            { [ -e "$path/.git" ] || { mkdir -p "${path%/*}" && git clone -q --shared --no-checkout "$cache" "$path" && git -C "$path" checkout -q -B "$branch" "$start" && git -C "$path" remote set-url origin "$remote"; }; }
        }
        cache=$1 path=$2 branch=$3 start=$4 remote=$5
        shift 5

        """;

    private const string CloneScript = Prepare + "prepare";

    // Prepares, then becomes the command (the Claude Code CLI) in the checkout, in one exec.
    private static readonly string LaunchScript = Prepare + $$"""
        if ! failure=$(prepare 2>&1); then
            echo "{{CheckoutFailedMarker}} $failure" >&2
            exit {{CheckoutFailedExitCode}}
        fi
        cd "$path"
        exec "$@"
        """;

    // Runs as the agent, in its sandbox, after it ended: whatever its config does, the output is only data that
    // the cache verifies before anything is pushed. Only the task's start commit is assumed (the cache has it), so
    // commits the agent fetched or pushed itself through the gateway are carried too.
    private const string BundleScript = """
        set -eu
        [ -e "$1/.git" ] || exit 0
        cd "$1"
        git rev-parse -q --verify 'HEAD^{commit}' >/dev/null || exit 0
        [ -n "$(git rev-list -n 1 HEAD --not "$2")" ] || exit 0
        git bundle create -q - HEAD --not "$2"
        """;

    public async Task CloneAsync(string sandbox, string user, string cache, string path, string branch, string startCommit, string remote, IReadOnlyList<string> environment, CancellationToken cancellationToken)
    {
        var result = await runtime.ExecAsync(sandbox, ["sh", "-c", CloneScript, "clone", cache, path, branch, startCommit, remote], environment, user, cancellationToken: cancellationToken);
        if (!result.Succeeded)
        {
            throw new WorkdirException($"making the checkout {path} in sandbox {sandbox} failed: {RepositoryCache.LastLines(result.Stderr)}");
        }
    }

    /// <summary>
    /// The command line that makes the checkout and then runs <paramref name="command"/> in it, saving an exec on
    /// the way to the first event. A failed checkout exits with <see cref="CheckoutFailedExitCode"/>.
    /// </summary>
    public static IReadOnlyList<string> Launch(string cache, string path, string branch, string startCommit, string remote, IReadOnlyList<string> command) =>
        ["sh", "-c", LaunchScript, "launch", cache, path, branch, startCommit, remote, .. command];

    /// <summary>The commits on the checkout's HEAD since the task's start commit, as a bundle; empty when there are none.</summary>
    public async Task<byte[]> BundleAsync(string sandbox, string user, string path, string startCommit, IReadOnlyList<string> environment, CancellationToken cancellationToken)
    {
        var result = await runtime.ExecForBytesAsync(sandbox, ["sh", "-c", BundleScript, "bundle", path, startCommit], new ExecOptions(environment, user), MaxBundleBytes, cancellationToken);
        return result.Succeeded
            ? result.Stdout
            : throw new WorkdirException($"reading the task's commits from {path} failed: {RepositoryCache.LastLines(result.Stderr)}");
    }
}
