namespace ClaudeHooks.Forge;

/// <summary>
/// Queues forge work (<see cref="ForgeFlows.QueueAsync"/> in the service): the task id, or null when the same work was
/// queued before. The dispatcher and the backstop take it as a delegate so either can run without the whole flow.
/// </summary>
internal delegate Task<string?> ForgeQueue(ForgeWork work, string source, string? title, string? body, CancellationToken cancellationToken);
