namespace ClaudeHooks.Tasks;

internal static class TaskIds
{
    /// <summary>Sortable by creation time, unique, and safe in paths and process markers: t20261123091523-1a2b3c4d5e6f7a8b.</summary>
    public static string New() => $"t{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}"[..32];
}
