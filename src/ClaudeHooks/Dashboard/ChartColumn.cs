namespace ClaudeHooks.Dashboard;

/// <summary>One day's stacked bar: the day, its axis label (null where labels would crowd), and the segments with a value, bottom first.</summary>
public sealed record ChartColumn(string Day, string? Label, double X, double Center, double Width, IReadOnlyList<ChartSegment> Segments);
