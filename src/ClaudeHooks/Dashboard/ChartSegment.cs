namespace ClaudeHooks.Dashboard;

/// <summary>One series' part of a stacked bar, with the text a pointer shows over it.</summary>
public sealed record ChartSegment(string Class, string Pattern, double Y, double Height, string Tip);
