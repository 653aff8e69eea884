using System.ComponentModel;

namespace ClaudeHooks.Api;

/// <summary>The answer to a cancel request.</summary>
internal sealed record TaskCancelled(string TaskId, [property: Description("cancelled (it was queued) or cancelling (it is being stopped).")] string State);
