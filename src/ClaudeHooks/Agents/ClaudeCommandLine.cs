using System.Globalization;
using ClaudeHooks.Config;

namespace ClaudeHooks.Agents;

/// <summary>
/// The Claude Code command line for one run. Values use the <c>--flag=value</c> form so none can be read as
/// another flag; secrets never appear here (they travel in the exec's environment), and the prompt goes on stdin.
/// The service's policy rides on it: no user, project or local settings load (so no hook, MCP server or CLAUDE.md
/// of the checkout or of any writable directory), and only the service's (empty) MCP config counts. The image's
/// managed settings, which no task can change, apply on top.
/// </summary>
internal static class ClaudeCommandLine
{
    /// <summary>The flags that keep Claude Code to the service's own settings; audit looks for them on every running CLI.</summary>
    public static readonly IReadOnlyList<string> PolicyFlags = ["--setting-sources=", "--strict-mcp-config", """--mcp-config={"mcpServers":{}}"""];

    public static IReadOnlyList<string> Build(RunnerSettings settings, string sessionId, bool resume, string? appendSystemPrompt)
    {
        if (!Guid.TryParse(sessionId, out _))
        {
            throw new ArgumentException($"session id \"{sessionId}\" is not a UUID", nameof(sessionId));
        }

        var arguments = new List<string>
        {
            "claude",
            "-p",
            "--output-format=stream-json",
            "--verbose",
            resume ? $"--resume={sessionId}" : $"--session-id={sessionId}",
            string.Create(CultureInfo.InvariantCulture, $"--max-turns={settings.MaxTurns}"),
            $"--permission-mode={settings.PermissionMode}",
        };
        arguments.AddRange(PolicyFlags);
        if (settings.MaxBudgetUsd is { } budget)
        {
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"--max-budget-usd={budget}"));
        }

        if (settings.AllowedTools.Count > 0)
        {
            arguments.Add($"--allowedTools={string.Join(',', settings.AllowedTools)}");
        }

        if (settings.DisallowedTools.Count > 0)
        {
            arguments.Add($"--disallowedTools={string.Join(',', settings.DisallowedTools)}");
        }

        if (settings.Model is { } model)
        {
            arguments.Add($"--model={model}");
        }

        if (!string.IsNullOrWhiteSpace(appendSystemPrompt))
        {
            arguments.Add($"--append-system-prompt={appendSystemPrompt.Trim()}");
        }

        return arguments;
    }
}
