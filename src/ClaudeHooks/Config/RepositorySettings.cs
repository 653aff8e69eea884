using System.Text.RegularExpressions;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Config;

/// <summary>
/// One entry of the top-level <c>"repositories"</c> section: what tasks on a repository run in and may do. The key is a
/// forge repository's <c>owner/name</c> (it must be in <c>forge.repositories</c>) or a URL pattern such as
/// <c>https://git.example/acme/*</c> for task API work, where <c>*</c> stands for one path segment or part of one.
/// Every limit here can only tighten the agent's own.
/// </summary>
internal sealed partial record RepositorySettings(
    string Key,
    string? Image,
    string? Stack,
    IReadOnlyList<Gateway.EgressRule> EgressAllow,
    IReadOnlyList<string>? Agents,
    string? Prompt,
    string? PromptFile,
    RepositoryRunnerLimits Runner,
    RepositoryContainerLimits Container,
    string? Setup,
    TimeSpan SetupTimeout)
{
    public static readonly TimeSpan DefaultSetupTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Whether the key is a URL pattern (for task API work) rather than a forge repository's owner/name.</summary>
    public bool IsPattern => Key.Contains("://", StringComparison.Ordinal) || Key.StartsWith('/');

    /// <summary>The config key path of a setting of this entry, for messages.</summary>
    public string KeyPath(string setting) => $"repositories.{Key}.{setting}";

    /// <summary>The image this entry asks for (<c>image</c>, or its <c>stack</c>'s), or null.</summary>
    public string? RequestedImage => Image ?? (Stack is null ? null : Containers.Stacks.Image(Stack));

    public bool Allows(string agent) => Agents is null || Agents.Contains(agent, StringComparer.Ordinal);

    /// <summary>
    /// Whether the entry's URL pattern matches a repository: the pattern is compared with the repository's
    /// <c>host/owner/name</c> identity (scheme, <c>.git</c> and a trailing slash ignored).
    /// </summary>
    /// <remarks>Case is ignored, as forges ignore it in owner and repository names: <c>ACME/Web</c> is <c>acme/web</c>.</remarks>
    public bool PatternMatches(RepositoryUrl repository) => IsPattern && Glob(PatternIdentity(Key)).IsMatch(repository.Key);

    /// <summary>A pattern's <c>host/owner/name</c> form, as <see cref="RepositoryUrl.Key"/> spells a repository.</summary>
    public static string PatternIdentity(string pattern)
    {
        var text = pattern.Trim().TrimEnd('/');
        if (text.EndsWith(".git", StringComparison.Ordinal))
        {
            text = text[..^4];
        }

        if (text.StartsWith("file://", StringComparison.Ordinal) || text.StartsWith('/'))
        {
            var path = text.StartsWith("file://", StringComparison.Ordinal) ? text["file://".Length..] : text;
            return "local/" + path.Trim('/');
        }

        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var rest = text[(scheme + 3)..];
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var path1 = slash < 0 ? "" : rest[slash..];
        var isDefault = (text.StartsWith("https://", StringComparison.Ordinal) && authority.EndsWith(":443", StringComparison.Ordinal))
            || (text.StartsWith("http://", StringComparison.Ordinal) && authority.EndsWith(":80", StringComparison.Ordinal));
        var colon = authority.LastIndexOf(':');
        var host = colon < 0 || isDefault ? (colon < 0 ? authority : authority[..colon]) : $"{authority[..colon]}_{authority[(colon + 1)..]}";
        return host.ToLowerInvariant() + path1;
    }

    private static Regex Glob(string identity) =>
        new("^" + string.Join("[^/]*", identity.Split('*').Select(Regex.Escape)) + "$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));

    [GeneratedRegex(@"^(https?://[A-Za-z0-9*][A-Za-z0-9.*-]*(:\d+)?|file://)?(/[A-Za-z0-9._~+*-]+)+/?$")]
    internal static partial Regex PatternSyntax();
}

/// <summary>A repository's runner limits: each, when set, lowers the agent's (never raises it).</summary>
internal sealed record RepositoryRunnerLimits(TimeSpan? Timeout, TimeSpan? IdleTimeout, int? MaxTurns, decimal? MaxBudgetUsd)
{
    public static RepositoryRunnerLimits None { get; } = new(null, null, null, null);

    /// <summary>The agent's runner settings with this repository's limits applied.</summary>
    public RunnerSettings Apply(RunnerSettings agent) => agent with
    {
        Timeout = Min(agent.Timeout, Timeout),
        IdleTimeout = Min(Min(agent.IdleTimeout, IdleTimeout), Min(agent.Timeout, Timeout)),
        MaxTurns = MaxTurns is { } turns ? Math.Min(turns, agent.MaxTurns) : agent.MaxTurns,
        MaxBudgetUsd = MaxBudgetUsd is { } budget ? Math.Min(budget, agent.MaxBudgetUsd ?? budget) : agent.MaxBudgetUsd,
    };

    private static TimeSpan Min(TimeSpan a, TimeSpan? b) => b is { } value && value < a ? value : a;
}

/// <summary>A repository's container settings: its runtime, and limits that lower the agent's.</summary>
internal sealed record RepositoryContainerLimits(string? Runtime, long? MemoryBytes, double? Cpus, long? PidsLimit)
{
    public static RepositoryContainerLimits None { get; } = new(null, null, null, null);

    public ContainerSettings Apply(ContainerSettings agent)
    {
        var memory = MemoryBytes is { } m ? Math.Min(m, agent.MemoryBytes) : agent.MemoryBytes;
        return agent with
        {
            Runtime = Runtime ?? agent.Runtime,
            MemoryBytes = memory,
            MemorySwapBytes = MemoryBytes is null ? agent.MemorySwapBytes : Math.Min(agent.MemorySwapBytes, memory + (agent.MemorySwapBytes - agent.MemoryBytes)),
            Cpus = Cpus is { } c ? Math.Min(c, agent.Cpus) : agent.Cpus,
            PidsLimit = PidsLimit is { } p ? Math.Min(p, agent.PidsLimit) : agent.PidsLimit,
        };
    }
}
