using System.ComponentModel;

namespace ClaudeHooks.Api;

/// <summary>The answer to a submitted task: where to follow it.</summary>
internal sealed record TaskAccepted(
    string TaskId,
    [property: Description("GET it for the task's state and outcome.")] string StatusUrl,
    [property: Description("Server-sent events of the task.")] string EventsUrl,
    [property: Description("The task's state now: queued when it was just submitted; on a replayed Idempotency-Key, wherever the task has got to.")] string State);
