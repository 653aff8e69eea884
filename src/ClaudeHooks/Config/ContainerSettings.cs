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
    long TmpSizeBytes)
{
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
