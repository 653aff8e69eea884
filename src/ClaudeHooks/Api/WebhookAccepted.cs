namespace ClaudeHooks.Api;

// Only the OpenAPI document uses this type: it has the names of what WebhookApi answers.

/// <summary>The answer to a webhook delivery: its id, and whether it was new or a repeat.</summary>
internal sealed record WebhookAccepted(string Delivery, string Status);
