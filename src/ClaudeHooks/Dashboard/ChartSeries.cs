namespace ClaudeHooks.Dashboard;

/// <summary>One series of a chart as its legend shows it: the name, the CSS class of its colour, and its pattern class ("" for a plain fill).</summary>
public sealed record ChartSeries(string Name, string Class, string Pattern);
