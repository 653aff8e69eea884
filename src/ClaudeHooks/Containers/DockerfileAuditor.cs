using System.Text.RegularExpressions;

namespace ClaudeHooks.Containers;

/// <summary>
/// Static checks on an agent Dockerfile, no engine needed: the final stage runs as a non-root user, no secret
/// sits in ENV or ARG, the Claude Code CLI version is pinned, and a HEALTHCHECK exists.
/// </summary>
internal static partial class DockerfileAuditor
{
    public static IReadOnlyList<string> Audit(string dockerfileText, string fileName = "Dockerfile")
    {
        var findings = new List<string>();
        var instructions = Instructions(dockerfileText).ToList();
        var finalStageStart = instructions.FindLastIndex(i => i.Keyword == "FROM");
        if (finalStageStart < 0)
        {
            return [$"{fileName}: no FROM instruction"];
        }

        var finalStage = instructions.Skip(finalStageStart).ToList();
        var user = finalStage.LastOrDefault(i => i.Keyword == "USER");
        if (user is null)
        {
            findings.Add($"{fileName}: the final stage has no USER; add 'USER claude' so agents never run as root");
        }
        else if (user.Arguments.Split(':')[0] is "root" or "0")
        {
            findings.Add($"{fileName}:{user.Line}: USER {user.Arguments} runs the agent as root; use 'USER claude'");
        }

        foreach (var instruction in instructions.Where(i => i.Keyword is "ENV" or "ARG"))
        {
            foreach (var (name, value) in Assignments(instruction))
            {
                if (SecretName().IsMatch(name))
                {
                    findings.Add($"{fileName}:{instruction.Line}: {instruction.Keyword} {name} looks like a secret; secrets reach agents per exec, never through the image");
                }

                if (value is not null && SecretValue().IsMatch(value))
                {
                    findings.Add($"{fileName}:{instruction.Line}: {instruction.Keyword} {name} holds a token-shaped value; remove it from the image");
                }
            }
        }

        var version = instructions.Where(i => i.Keyword == "ARG").SelectMany(Assignments).FirstOrDefault(a => a.Name == "CLAUDE_CODE_VERSION");
        if (version.Name is null)
        {
            findings.Add($"{fileName}: no ARG CLAUDE_CODE_VERSION; pin the Claude Code CLI to an exact version");
        }
        else if (version.Value is null || !PinnedVersion().IsMatch(version.Value))
        {
            findings.Add($"{fileName}: CLAUDE_CODE_VERSION \"{version.Value}\" is not an exact version; pin one such as 2.1.330");
        }

        if (!finalStage.Any(i => i.Keyword == "HEALTHCHECK"))
        {
            findings.Add($"{fileName}: the final stage has no HEALTHCHECK; add one so 'containers status' can report health");
        }

        return findings;
    }

    internal sealed record Instruction(int Line, string Keyword, string Arguments);

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    internal static IEnumerable<Instruction> Instructions(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            var joined = trimmed;
            while (joined.EndsWith('\\') && i + 1 < lines.Length)
            {
                i++;
                var next = lines[i].Trim();
                if (next.StartsWith('#'))
                {
                    // Docker drops comment lines inside a continuation; the instruction goes on.
                    continue;
                }

                joined = joined[..^1] + " " + next;
            }

            var space = joined.IndexOfAny([' ', '\t']);
            yield return space < 0
                ? new Instruction(start, joined.ToUpperInvariant(), "")
                : new Instruction(start, joined[..space].ToUpperInvariant(), joined[(space + 1)..].Trim());
        }
    }

    private static IEnumerable<(string Name, string? Value)> Assignments(Instruction instruction)
    {
        if (instruction.Keyword == "ENV" && !instruction.Arguments.Contains('=', StringComparison.Ordinal))
        {
            var parts = instruction.Arguments.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            yield return (parts[0], parts.Length > 1 ? parts[1] : null);
            yield break;
        }

        foreach (Match match in Assignment().Matches(instruction.Arguments))
        {
            yield return (match.Groups["name"].Value, match.Groups["value"].Success ? match.Groups["value"].Value.Trim('"', '\'') : null);
        }
    }

    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)(=(?<value>""[^""]*""|'[^']*'|\S*))?")]
    private static partial Regex Assignment();

    [GeneratedRegex("(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL|PRIVATE_?KEY)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex("(sk-ant-|ghp_|gho_|github_pat_|glpat-|xox[bp]-|AKIA[0-9A-Z]{16})")]
    private static partial Regex SecretValue();

    [GeneratedRegex(@"^\d+\.\d+\.\d+$")]
    private static partial Regex PinnedVersion();
}
