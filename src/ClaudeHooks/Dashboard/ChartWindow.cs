using System.Globalization;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// The days a chart page covers: the last <see cref="Days"/> UTC days up to and including today, each task counted on
/// the UTC day it was created. A value of <c>?days=</c> that is not a whole number from 1 to <see cref="MaxDays"/>
/// gives the default window and an <see cref="Error"/> to show beside the field.
/// </summary>
internal sealed record ChartWindow(int Days, DateOnly First, DateOnly Last, string? Error)
{
    public const int DefaultDays = 14;

    public const int MaxDays = 90;

    public static ChartWindow Parse(string? text, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var days = DefaultDays;
        string? error = null;
        if (!string.IsNullOrWhiteSpace(text))
        {
            if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= MaxDays)
            {
                days = parsed;
            }
            else
            {
                error = $"Days must be a whole number from 1 to {MaxDays}, not “{Shorten(text.Trim())}”. Showing the last {DefaultDays} days.";
            }
        }

        return new ChartWindow(days, today.AddDays(1 - days), today, error);
    }

    /// <summary>Every day of the window, oldest first.</summary>
    public IReadOnlyList<DateOnly> Dates => [.. Enumerable.Range(0, Days).Select(First.AddDays)];

    /// <summary>"the last 14 days", as the page's sentences say it.</summary>
    public string Phrase => Days == 1 ? "the last 1 day" : $"the last {Days} days";

    private static string Shorten(string text) => text.Length <= 20 ? text : text[..19] + "…";
}
