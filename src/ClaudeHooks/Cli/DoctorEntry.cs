namespace ClaudeHooks.Cli;

/// <summary>One line of <c>doctor</c>: <c>ok</c>, <c>fail</c> (with its fix), <c>warn</c> or <c>note</c>.</summary>
internal sealed record DoctorEntry(string Status, string What, string? Fix, IReadOnlyList<string>? Details);
