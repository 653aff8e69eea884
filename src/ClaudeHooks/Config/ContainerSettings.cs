namespace ClaudeHooks.Config;

/// <summary>Resource limits and hardening for one agent's container. The defaults are the hardened baseline.</summary>
internal sealed record ContainerSettings(
    long MemoryBytes,
    long MemorySwapBytes,
    double Cpus,
    long PidsLimit,
    string? Runtime,
    string? Network,
    string User,
    bool DropAllCapabilities,
    IReadOnlyList<string> CapAdd,
    bool NoNewPrivileges,
    string Seccomp,
    bool ReadOnlyRootfs,
    long TmpSizeBytes,
    bool NetworkAcknowledged = false,
    bool AllowLocalForForge = false)
{
    /// <summary>The value of <c>runtime</c> that runs Claude Code as a host process, with no container at all.</summary>
    public const string LocalRuntime = "local";

    /// <summary>The value of <c>network</c> that gives the agent a bridge network of its own (the layout before the gateway).</summary>
    public const string AgentNetwork = "agent";

    /// <summary>Whether the containers have a network besides the gateway: a route out that the gateway does not see.</summary>
    public bool HasNetwork => Network is not (null or "none");

    public static ContainerSettings Hardened { get; } = new(
        MemoryBytes: 4L << 30,
        MemorySwapBytes: 4L << 30,
        Cpus: 2,
        PidsLimit: 512,
        Runtime: null,
        Network: null,
        User: "claude",
        DropAllCapabilities: true,
        CapAdd: [],
        NoNewPrivileges: true,
        Seccomp: "default",
        ReadOnlyRootfs: true,
        TmpSizeBytes: 512L << 20);
}
