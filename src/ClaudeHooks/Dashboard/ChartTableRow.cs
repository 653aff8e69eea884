namespace ClaudeHooks.Dashboard;

/// <summary>A table row: its heading cell and the formatted values.</summary>
public sealed record ChartTableRow(string Head, IReadOnlyList<string> Cells);
