namespace ClaudeHooks.Containers;

/// <summary>Everything the engine needs to create one agent container. Immutable; built only from operator config.</summary>
internal sealed record ContainerSpec(
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
    IReadOnlyDictionary<string, string> Tmpfs);

internal enum MountKind
{
    Volume,
    Bind,
}

internal sealed record MountSpec(MountKind Kind, string Source, string Target, bool ReadOnly);
