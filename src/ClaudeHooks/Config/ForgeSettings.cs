namespace ClaudeHooks.Config;

/// <summary>The forge integration (top-level <c>"forge"</c> in agents.json); absent means webhooks are refused.</summary>
internal sealed record ForgeSettings(Uri PublicUrl, TimeSpan ReconcileInterval, int MaxWebhookBytes, IReadOnlyList<ForgeRepository> Repositories)
{
    public static readonly string[] FlowNames = ["implement", "review", "fix", "merge", "mention"];
    public static readonly string[] MergeStyles = ["merge", "rebase", "rebase-merge", "squash", "fast-forward-only"];

    /// <summary>The merge styles GitHub's merge API offers (<c>merge_method</c>).</summary>
    public static readonly string[] GitHubMergeStyles = ["merge", "rebase", "squash"];

    public ForgeRepository? Find(string fullName) => Repositories.FirstOrDefault(r => string.Equals(r.FullName, fullName, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One repository the agents work on: where its forge is, its webhook secret, and which flows run.</summary>
internal sealed record ForgeRepository(
    string FullName,
    Uri ForgeUrl,
    string WebhookSecretFile,
    IReadOnlySet<string> Flows,
    string MergeStyle,
    IReadOnlyList<string> AuthorizedUsers,
    string? CloneUrlOverride = null,
    IReadOnlyList<Gateway.EgressRule>? RepositoryEgressAllow = null)
{
    /// <summary>Where agents clone from: <c>clone_url</c> when set (e.g. an internal mirror), else the forge's https path.</summary>
    public string CloneUrl => CloneUrlOverride ?? $"{ForgeUrl.ToString().TrimEnd('/')}/{FullName}.git";

    public bool Runs(string flow) => Flows.Contains(flow);

    /// <summary>Which forge hosts it: Forgejo (and Gitea), or GitHub (github.com or GitHub Enterprise Server).</summary>
    public ForgeKind Kind { get; init; } = ForgeKind.Forgejo;

    /// <summary>The <c>api_url</c> key: where the forge's REST API is, when not where the kind puts it.</summary>
    public Uri? ApiUrlOverride { get; init; }

    /// <summary>
    /// The REST API's base, ending in a slash: Forgejo's <c>&lt;url&gt;/api/v1/</c>; GitHub's
    /// <c>https://api.github.com/</c> for github.com and <c>&lt;url&gt;/api/v3/</c> for GitHub Enterprise Server.
    /// </summary>
    public Uri ApiUrl => ApiUrlOverride is { } own
        ? new Uri(own.ToString().TrimEnd('/') + "/")
        : Kind switch
        {
            ForgeKind.GitHub when string.Equals(ForgeUrl.Host, "github.com", StringComparison.OrdinalIgnoreCase) => new Uri("https://api.github.com/"),
            ForgeKind.GitHub => new Uri(ForgeUrl.ToString().TrimEnd('/') + "/api/v3/"),
            _ => new Uri(ForgeUrl.ToString().TrimEnd('/') + "/api/v1/"),
        };

    /// <summary>The lead merges only with, besides the service's own approving review, an approval of the same head by an authorised person.</summary>
    public bool MergeRequiresHumanApproval { get; init; }

    /// <summary>Hosts every task on this repository may reach through the gateway, besides its agent's own list.</summary>
    public IReadOnlyList<Gateway.EgressRule> EgressAllow => RepositoryEgressAllow ?? [];
}

/// <summary>The forge software a repository lives on; Gitea speaks Forgejo's API and webhooks.</summary>
internal enum ForgeKind
{
    Forgejo,
    GitHub,
}
