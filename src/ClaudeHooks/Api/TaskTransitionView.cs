namespace ClaudeHooks.Api;

/// <summary>One transition of a task, with its reason.</summary>
internal sealed record TaskTransitionView(DateTimeOffset At, string? From, string To, string Reason);
