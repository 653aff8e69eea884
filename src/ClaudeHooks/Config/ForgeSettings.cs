namespace ClaudeHooks.Config;

/// <summary>The forge integration (top-level <c>"forge"</c> in agents.json); absent means webhooks are refused.</summary>
internal sealed record ForgeSettings(Uri PublicUrl, TimeSpan ReconcileInterval, int MaxWebhookBytes, IReadOnlyList<ForgeRepository> Repositories)
{
    public static readonly string[] FlowNames = ["implement", "review", "fix", "merge", "mention"];
    public static readonly string[] MergeStyles = ["merge", "rebase", "rebase-merge", "squash", "fast-forward-only"];

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

    /// <summary>The lead merges only with, besides the service's own approving review, an approval of the same head by an authorised person.</summary>
    public bool MergeRequiresHumanApproval { get; init; }

    /// <summary>Hosts every task on this repository may reach through the gateway, besides its agent's own list.</summary>
    public IReadOnlyList<Gateway.EgressRule> EgressAllow => RepositoryEgressAllow ?? [];
}
