namespace ClaudeHooks.Dashboard;

/// <summary>One percentile's horizontal bar, and its value written at the bar's end.</summary>
public sealed record ChartRangeBar(string Class, string Pattern, double X, double Y, double Width, double Height, string Text, double TextX, double TextY);
