namespace ClaudeHooks.Dashboard;

/// <summary>A page of a task's transcript, oldest first; <see cref="Earlier"/> is the <c>before</c> of the page before it, null at the start.</summary>
public sealed record TranscriptPage(IReadOnlyList<TranscriptEntry> Entries, long? Earlier);
