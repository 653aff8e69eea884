namespace ClaudeHooks.Dashboard;

/// <summary>A chart's SVG viewport (<see cref="Width"/> × <see cref="Height"/>) and the plot inside it, in user units.</summary>
public sealed record ChartArea(double Width, double Height, double Left, double Top, double Right, double Bottom)
{
    public string ViewBox => FormattableString.Invariant($"0 0 {Width} {Height}");
}
