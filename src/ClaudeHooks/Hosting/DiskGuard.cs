using ClaudeHooks.Config;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Hosting;

/// <summary>
/// Keeps new tasks out while the data directory's disk is below <c>service.min_free_disk</c>: a task refused at the
/// door costs nothing, one that meets a full disk halfway through its events loses them. Queued tasks stay queued.
/// </summary>
internal sealed class DiskGuard(Database database, AgentsConfig config)
{
    public StorageStatus Measure() => StorageStatus.Measure(database.DataDirectory, config.Service.MinFreeDisk);

    /// <summary>Why a new task is refused now, with the fix; null when the disk has room.</summary>
    public string? Refusal() => Measure().Refusal;
}
