using ClaudeHooks.Tasks;

namespace ClaudeHooks.Forge;

/// <summary>Webhook deliveries and forge work, in the same database as the tasks they create.</summary>
internal interface IForgeStore
{
    /// <summary>Stores a verified delivery; false when its id was seen before.</summary>
    Task<bool> RecordDeliveryAsync(string deliveryId, string eventType, string? action, string repo, byte[] body, CancellationToken cancellationToken);

    /// <summary>Deliveries without an outcome that may be tried at <paramref name="now"/>, oldest first; one waiting out its backoff is left out.</summary>
    Task<IReadOnlyList<PendingDelivery>> PendingDeliveriesAsync(DateTimeOffset now, CancellationToken cancellationToken);

    Task CompleteDeliveryAsync(string deliveryId, string outcome, string? taskId, CancellationToken cancellationToken);

    /// <summary>Counts a failed attempt: the delivery keeps no outcome and is tried again from <paramref name="nextAttemptAt"/>.</summary>
    Task PostponeDeliveryAsync(string deliveryId, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken);

    /// <summary>Counts the last failed attempt and gives the delivery up: <paramref name="outcome"/> says why, and it is never tried again.</summary>
    Task AbandonDeliveryAsync(string deliveryId, string error, string outcome, CancellationToken cancellationToken);

    /// <summary>The latest deliveries, newest first; only those given up when <paramref name="deadOnly"/>.</summary>
    Task<IReadOnlyList<DeliveryRecord>> ListDeliveriesAsync(bool deadOnly, int limit, CancellationToken cancellationToken);

    /// <summary>Queues the task for <paramref name="work"/> unless its semantic key was claimed before; returns the task id, or null for a duplicate.</summary>
    Task<string?> QueueWorkAsync(ForgeWork work, TaskRecord task, string source, CancellationToken cancellationToken, bool retryEnded = true);

    Task<ForgeTask?> GetForgeTaskAsync(string taskId, CancellationToken cancellationToken);

    Task SetTrackingCommentAsync(string taskId, long commentId, CancellationToken cancellationToken);

    Task SetPullAsync(string taskId, long pullNumber, CancellationToken cancellationToken);

    Task RecordIntentsAsync(IReadOnlyList<ForgeIntent> intents, CancellationToken cancellationToken);

    Task<StoredIntent?> GetIntentAsync(string key, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredIntent>> ListIntentsAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>Pending intents that may go out now: per task, only its earliest one.</summary>
    Task<IReadOnlyList<StoredIntent>> DueIntentsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    Task<DateTimeOffset?> NextIntentDueAsync(CancellationToken cancellationToken);

    Task BeginIntentAttemptAsync(long id, CancellationToken cancellationToken);

    /// <summary>Marks the intent done with its result and records the writes that follow from it, in one transaction.</summary>
    Task CompleteIntentAsync(long id, string result, IReadOnlyList<ForgeIntent> followUps, CancellationToken cancellationToken);

    Task PostponeIntentAsync(long id, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken);

    Task SetVerdictAsync(string taskId, string verdict, long reviewId, CancellationToken cancellationToken);

    /// <summary>The last verdict (approve or request changes) a review task of the service posted on the pull request.</summary>
    Task<ServiceVerdict?> LatestVerdictAsync(string repo, long number, CancellationToken cancellationToken);
}
