namespace ClaudeHooks.Containers;

/// <summary>
/// Everything the engine needs to create one container: an agent's long-lived container or one of its task
/// sandboxes. Immutable; built only from operator config.
/// </summary>
internal sealed record ContainerSpec(
    ContainerKind Kind,
    string Agent,
    string Name,
    string Image,
    string User,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Environment,
    IReadOnlyList<MountSpec> Mounts,
    long MemoryBytes,
    long MemorySwapBytes,
    long NanoCpus,
    long PidsLimit,
    string? Runtime,
    string Network,
    bool OwnNetwork,
    bool DropAllCapabilities,
    IReadOnlyList<string> CapAdd,
    IReadOnlyList<string> SecurityOptions,
    bool ReadOnlyRootfs,
    IReadOnlyDictionary<string, string> Tmpfs)
{
    /// <summary>The engine's id of <see cref="Image"/> when the spec was made: part of the spec hash, so a rebuilt tag makes a container stale.</summary>
    public string? ImageId { get; init; }
}

internal enum ContainerKind
{
    /// <summary>The agent's long-lived container: keeps the repository cache and runs the service's own git; restarts unless stopped.</summary>
    Agent,

    /// <summary>One task's short-lived container: where Claude Code runs; never restarted, removed when the task ends.</summary>
    Sandbox,
}

internal enum MountKind
{
    Volume,
    Bind,

    /// <summary>A volume of the container's own (no source name), removed with it.</summary>
    Anonymous,
}

internal sealed record MountSpec(MountKind Kind, string Source, string Target, bool ReadOnly);
