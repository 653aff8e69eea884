using System.Text.RegularExpressions;

namespace ClaudeHooks.Containers;

/// <summary>
/// Static checks on an agent Dockerfile: the final stage runs as a non-root user, no secret sits in ENV or ARG, the
/// Claude Code CLI version is pinned, and a HEALTHCHECK exists. A final stage built FROM an image (rather than an
/// earlier stage of the same file) inherits that image's user, healthcheck and pinned CLI, so given the base's facts
/// (<see cref="BaseImageFacts"/>) a derived Dockerfile need not repeat them; the base is then held to them instead.
/// </summary>
internal static partial class DockerfileAuditor
{
    /// <summary>Audits the file on its own: whatever it would inherit from its base image counts as missing.</summary>
    public static IReadOnlyList<string> Audit(string dockerfileText, string fileName = "Dockerfile") => Audit(dockerfileText, fileName, _ => null);

    /// <summary>
    /// Audits the file with what its base image provides. <paramref name="inspectBase"/> is asked about the image the
    /// final stage descends from (tag normalised, <c>:latest</c> when none) and answers null when it cannot tell, in
    /// which case the file must carry everything itself. <paramref name="buildArgs"/> are the values the build passes,
    /// which replace the defaults of the ARGs they name.
    /// </summary>
    public static IReadOnlyList<string> Audit(
        string dockerfileText, string fileName, Func<string, BaseImageFacts?> inspectBase, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        var findings = new List<string>();
        var instructions = Instructions(dockerfileText).ToList();
        var stages = Stages(instructions, buildArgs);
        if (stages.Count == 0)
        {
            return [$"{fileName}: no FROM instruction"];
        }

        var chain = Chain(stages);
        var root = chain[^1];
        var baseImage = root.Image;
        var facts = baseImage switch
        {
            null => null,
            "scratch" => BaseImageFacts.Scratch,
            _ => inspectBase(baseImage),
        };
        if (facts is { Exists: false })
        {
            findings.Add($"{fileName}:{root.From.Line}: base image {baseImage} does not exist; build it first with '{Stacks.BuildCommand(baseImage!)}'");
        }

        var user = chain.Select(s => s.Body.LastOrDefault(i => i.Keyword == "USER")).FirstOrDefault(u => u is not null);
        if (user is not null)
        {
            if (BaseImageFacts.IsRoot(user.Arguments))
            {
                findings.Add($"{fileName}:{user.Line}: USER {user.Arguments} runs the agent as root; use 'USER claude'");
            }
            else if (user.Arguments.Contains('$', StringComparison.Ordinal))
            {
                findings.Add($"{fileName}:{user.Line}: USER {user.Arguments} is not a literal user, so the audit cannot tell it is not root; write 'USER claude'");
            }
        }
        else if (facts is null)
        {
            findings.Add($"{fileName}: the final stage has no USER; add 'USER claude' so agents never run as root");
        }
        else if (facts.Exists && facts.RunsAsRoot)
        {
            findings.Add($"{fileName}: the final stage has no USER and its base {baseImage} runs as root; add 'USER claude' (or rebuild the base with a non-root USER)");
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
        if (version.Name is not null && buildArgs?.GetValueOrDefault(version.Name) is { } given)
        {
            version.Value = given;
        }

        if (version.Name is not null)
        {
            if (version.Value is null || !PinnedVersion().IsMatch(version.Value))
            {
                findings.Add($"{fileName}: CLAUDE_CODE_VERSION \"{version.Value}\" is not an exact version; pin one such as 2.1.330");
            }
        }
        else if (facts is null)
        {
            findings.Add($"{fileName}: no ARG CLAUDE_CODE_VERSION; pin the Claude Code CLI to an exact version");
        }
        else if (facts.Exists && (facts.ClaudeCodeVersion is not { } label || !PinnedVersion().IsMatch(label)))
        {
            var carried = facts.ClaudeCodeVersion is null ? "no" : $"an unpinned (\"{facts.ClaudeCodeVersion}\")";
            findings.Add($"{fileName}: no ARG CLAUDE_CODE_VERSION and its base {baseImage} carries {carried} {BaseImageFacts.ClaudeCodeVersionLabel} label; "
                + $"rebuild the base with '{Stacks.BuildCommand(baseImage!)}' or pin the Claude Code CLI here");
        }

        var healthcheck = chain.Select(s => s.Body.LastOrDefault(i => i.Keyword == "HEALTHCHECK")).FirstOrDefault(h => h is not null);
        if (healthcheck is not null)
        {
            if (healthcheck.Arguments.Equals("NONE", StringComparison.OrdinalIgnoreCase))
            {
                findings.Add($"{fileName}:{healthcheck.Line}: HEALTHCHECK NONE turns the health probe off; remove it or give a CMD so 'containers status' can report health");
            }
        }
        else if (facts is null)
        {
            findings.Add($"{fileName}: the final stage has no HEALTHCHECK; add one so 'containers status' can report health");
        }
        else if (facts.Exists && !facts.HasHealthcheck)
        {
            findings.Add($"{fileName}: the final stage has no HEALTHCHECK and its base {baseImage} has none; add one so 'containers status' can report health");
        }

        return findings;
    }

    /// <summary>
    /// The image the final stage descends from (following <c>FROM &lt;stage&gt;</c> back to a stage built FROM an
    /// image), tag normalised; null when the file has no FROM or the name depends on an ARG without a default.
    /// </summary>
    public static string? BaseImage(string dockerfileText, IReadOnlyDictionary<string, string>? buildArgs = null)
    {
        var stages = Stages(Instructions(dockerfileText).ToList(), buildArgs);
        return stages.Count == 0 ? null : Chain(stages)[^1].Image;
    }

    /// <summary>Audits the file with its base image's facts read from the engine (see <see cref="Audit(string, string, Func{string, BaseImageFacts?}, IReadOnlyDictionary{string, string}?)"/>).</summary>
    public static Task<IReadOnlyList<string>> AuditAsync(string dockerfileText, string fileName, Docker.DotNet.DockerClient docker, CancellationToken cancellationToken) =>
        AuditAsync(dockerfileText, fileName, docker, null, cancellationToken);

    /// <summary>As <see cref="AuditAsync(string, string, Docker.DotNet.DockerClient, CancellationToken)"/>, for a build given <paramref name="buildArgs"/>.</summary>
    public static async Task<IReadOnlyList<string>> AuditAsync(
        string dockerfileText, string fileName, Docker.DotNet.DockerClient docker, IReadOnlyDictionary<string, string>? buildArgs, CancellationToken cancellationToken)
    {
        var image = BaseImage(dockerfileText, buildArgs);
        var facts = image is null or "scratch" ? null : await BaseImageFacts.InspectAsync(docker, image, cancellationToken);
        return Audit(dockerfileText, fileName, name => name == image ? facts : null, buildArgs);
    }

    /// <summary>One build stage: its FROM, the image it names (null when it names an earlier stage or cannot be resolved), its parent stage and its instructions.</summary>
    private sealed record Stage(Instruction From, string? Name, string? Image, Stage? Parent, List<Instruction> Body);

    private static List<Stage> Stages(List<Instruction> instructions, IReadOnlyDictionary<string, string>? buildArgs)
    {
        // ARGs before the first FROM are the only ones a FROM line can use.
        var globals = new Dictionary<string, string?>(StringComparer.Ordinal);
        var stages = new List<Stage>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                var reference = words.Count > 0 ? Expand(words[0], globals) : null;
                var name = words.Count >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                var parent = reference is null ? null : stages.LastOrDefault(s => string.Equals(s.Name, reference, StringComparison.OrdinalIgnoreCase));
                var image = parent is null && reference is { Length: > 0 } ? Normalize(reference) : null;
                stages.Add(new Stage(instruction, name, image, parent, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Body.Add(instruction);
            }
            else if (instruction.Keyword == "ARG")
            {
                foreach (var (name, value) in Assignments(instruction))
                {
                    globals[name] = buildArgs?.GetValueOrDefault(name) ?? value;
                }
            }
        }

        return stages;
    }

    /// <summary>The final stage, then each stage it is built FROM, back to one built FROM an image.</summary>
    private static List<Stage> Chain(List<Stage> stages)
    {
        var chain = new List<Stage>();
        for (Stage? stage = stages[^1]; stage is not null; stage = stage.Parent)
        {
            chain.Add(stage);
        }

        return chain;
    }

    /// <summary>Substitutes <c>$X</c>, <c>${X}</c> and <c>${X:-default}</c> from the global ARGs; null when one has no value.</summary>
    private static string? Expand(string text, Dictionary<string, string?> globals)
    {
        var unresolved = false;
        var expanded = Variable().Replace(text, match =>
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["bare"].Value;
            if (globals.GetValueOrDefault(name) is { Length: > 0 } value)
            {
                return value;
            }

            if (match.Groups["default"].Success)
            {
                return match.Groups["default"].Value;
            }

            unresolved = true;
            return "";
        });
        return unresolved ? null : expanded;
    }

    /// <summary>An image reference as the engine stores it: <c>:latest</c> when it names neither a tag nor a digest.</summary>
    private static string Normalize(string reference)
    {
        if (reference == "scratch" || reference.Contains('@', StringComparison.Ordinal))
        {
            return reference;
        }

        var lastSegment = reference[(reference.LastIndexOf('/') + 1)..];
        return lastSegment.Contains(':', StringComparison.Ordinal) ? reference : reference + ":latest";
    }

    internal sealed record Instruction(int Line, string Keyword, string Arguments);

    /// <summary>Instructions with continuation lines joined and comments dropped.</summary>
    /// <remarks>
    /// Read as the builder reads them: the escape character is <c>\</c> unless an <c># escape=</c> parser directive
    /// at the top sets another, and empty and comment lines inside a continuation are dropped while the instruction
    /// goes on.
    /// </remarks>
    internal static IEnumerable<Instruction> Instructions(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var escape = EscapeCharacter(lines);
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var start = i + 1;
            var joined = trimmed;
            while (joined.EndsWith(escape) && i + 1 < lines.Length)
            {
                i++;
                var next = lines[i].Trim();
                if (next.Length == 0 || next.StartsWith('#'))
                {
                    // Docker drops empty and comment lines inside a continuation; the instruction goes on.
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

    /// <summary>The escape character: <c>\</c>, or what an <c># escape=</c> directive among the leading comment lines sets.</summary>
    private static char EscapeCharacter(string[] lines)
    {
        foreach (var line in lines)
        {
            var directive = DirectivePattern().Match(line);
            if (!directive.Success)
            {
                break;
            }

            if (directive.Groups["name"].Value.Equals("escape", StringComparison.OrdinalIgnoreCase) && directive.Groups["value"].Value is "`" or "\\")
            {
                return directive.Groups["value"].Value[0];
            }
        }

        return '\\';
    }

    [GeneratedRegex(@"^\s*#\s*(?<name>[A-Za-z]+)\s*=\s*(?<value>\S+)\s*$")]
    private static partial Regex DirectivePattern();

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

    [GeneratedRegex(@"\$(\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)(:-(?<default>[^}]*))?\}|(?<bare>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variable();

    [GeneratedRegex(@"\A[0-9]+\.[0-9]+\.[0-9]+\z")]
    private static partial Regex PinnedVersion();
}
