namespace ClaudeHooks.Dashboard;

/// <summary>A chart's numbers as a table: column headings, a row per day or agent, and an optional totals row.</summary>
public sealed record ChartTable(IReadOnlyList<string> Head, IReadOnlyList<ChartTableRow> Rows, ChartTableRow? Foot);
