using ClaudeHooks.Tasks;

namespace ClaudeHooks.Forge;

/// <summary>Webhook deliveries and forge work, in the same database as the tasks they create.</summary>
internal interface IForgeStore
{
    /// <summary>Stores a verified delivery; false when its id was seen before.</summary>
    Task<bool> RecordDeliveryAsync(string deliveryId, string eventType, string? action, string repo, byte[] body, CancellationToken cancellationToken);

    Task<IReadOnlyList<PendingDelivery>> PendingDeliveriesAsync(CancellationToken cancellationToken);

    Task CompleteDeliveryAsync(string deliveryId, string outcome, string? taskId, CancellationToken cancellationToken);

    /// <summary>Queues the task for <paramref name="work"/> unless its semantic key was claimed before; returns the task id, or null for a duplicate.</summary>
    Task<string?> QueueWorkAsync(ForgeWork work, TaskRecord task, string source, CancellationToken cancellationToken);

    Task<ForgeTask?> GetForgeTaskAsync(string taskId, CancellationToken cancellationToken);

    Task SetTrackingCommentAsync(string taskId, long commentId, CancellationToken cancellationToken);

    Task SetPullAsync(string taskId, long pullNumber, CancellationToken cancellationToken);
}
