namespace ClaudeHooks.Forge;

/// <summary>A stored delivery still to be processed; <paramref name="Attempts"/> counts the attempts that failed so far.</summary>
internal sealed record PendingDelivery(string DeliveryId, string EventType, string Repo, byte[] Body, int Attempts = 0);
