using System.Text;
using System.Text.RegularExpressions;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Agents;

/// <summary>
/// Moves a thread's Claude Code transcript between the service's store and a sandbox: copied out after a task,
/// restored into the next sandbox of the same thread before it resumes. Only that one file ever enters a sandbox,
/// at a path the service chooses, so no task can plant anything in another task's home this way.
/// </summary>
internal sealed partial class TranscriptKeeper(ContainerRuntime runtime)
{
    /// <summary>The largest transcript saved or restored.</summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    private const string RestoreScript = """
        set -eu
        mkdir -p "$CLAUDE_CONFIG_DIR/projects/$1"
        cat > "$CLAUDE_CONFIG_DIR/projects/$1/$2.jsonl"
        """;

    private const string SaveScript = """
        set -eu
        file=$(find "$CLAUDE_CONFIG_DIR/projects" -mindepth 2 -maxdepth 2 -type f -name "$1.jsonl" 2>/dev/null | head -n 1)
        [ -n "$file" ] || exit 3
        dir=${file%/*}
        echo "${dir##*/}"
        cat "$file"
        """;

    private static readonly ExecOptions Environment = new([$"CLAUDE_CONFIG_DIR={ResourceNames.SandboxClaudeConfigDir}"]);

    /// <summary>Null when restored, else why not.</summary>
    public async Task<string?> RestoreAsync(Sandbox sandbox, string user, TranscriptRecord transcript, CancellationToken cancellationToken)
    {
        if (!ProjectDirectoryPattern().IsMatch(transcript.ProjectDirectory) || transcript.ProjectDirectory is "." or ".." || !Guid.TryParseExact(transcript.SessionId, "D", out _))
        {
            return "its stored transcript has an unusable name";
        }

        var restored = await runtime.ExecWithInputAsync(sandbox.Id, ["sh", "-c", RestoreScript, "restore", transcript.ProjectDirectory, transcript.SessionId], transcript.Data,
            Environment with { User = user }, cancellationToken);
        return restored.Succeeded ? null : $"restoring its transcript failed: {restored.Stderr.Trim()}";
    }

    /// <summary>The session's transcript as Claude Code left it in the sandbox, or why it could not be read.</summary>
    public async Task<(TranscriptRecord? Record, string? Problem)> SaveAsync(Sandbox sandbox, string user, string agent, string repo, string thread, string sessionId, CancellationToken cancellationToken)
    {
        ExecBytes saved;
        try
        {
            saved = await runtime.ExecForBytesAsync(sandbox.Id, ["sh", "-c", SaveScript, "save", sessionId], Environment with { User = user }, MaxBytes, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return (null, "reading it out of the sandbox took too long");
        }
        catch (ContainerOperationException e)
        {
            return (null, e.Message);
        }
        catch (Docker.DotNet.DockerApiException e)
        {
            return (null, $"the sandbox no longer runs: {(e.ResponseBody ?? "").Trim()}");
        }

        var newline = Array.IndexOf(saved.Stdout, (byte)'\n');
        if (!saved.Succeeded || newline <= 0)
        {
            return (null, "it was not found in the sandbox");
        }

        var directory = Encoding.UTF8.GetString(saved.Stdout, 0, newline);
        return (new TranscriptRecord(agent, repo, thread, sessionId, directory, saved.Stdout[(newline + 1)..], DateTimeOffset.UtcNow), null);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,255}$")]
    private static partial Regex ProjectDirectoryPattern();
}
