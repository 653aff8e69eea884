using System.Globalization;

namespace ClaudeHooks.Dashboard;

/// <summary>How the pages write times, durations, money and summaries: short, the same everywhere.</summary>
public static class Format
{
    public static string Duration(TimeSpan span) => span switch
    {
        { TotalSeconds: < 1 } => $"{span.TotalMilliseconds:0} ms",
        { TotalMinutes: < 1 } => $"{span.TotalSeconds:0.#} s",
        { TotalHours: < 1 } => $"{(int)span.TotalMinutes} min {span.Seconds} s",
        { TotalDays: < 1 } => $"{(int)span.TotalHours} h {span.Minutes} min",
        _ => $"{(int)span.TotalDays} d {span.Hours} h",
    };

    /// <summary>The longest a run can plausibly have taken; beyond it a figure is an agent's invention, and TimeSpan overflows not far past.</summary>
    public const long MaxDurationMs = 366L * 24 * 3600 * 1000;

    /// <summary>A stored duration; one that no run can have taken (negative, or over a year: a task's own figure) shows as a dash.</summary>
    public static string Duration(long? milliseconds) =>
        milliseconds is { } ms and >= 0 and <= MaxDurationMs ? Duration(TimeSpan.FromMilliseconds(ms)) : "—";

    public static string Cost(decimal? usd) => usd is { } value ? "$" + value.ToString(value < 1 ? "0.0000" : "0.00", CultureInfo.InvariantCulture) : "—";

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string IsoTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>The first line of a prompt, at most 120 characters.</summary>
    public static string Summary(string text)
    {
        var line = text.AsSpan().TrimStart();
        var end = line.IndexOfAny('\r', '\n');
        var first = (end < 0 ? line : line[..end]).ToString();
        return first.Length <= 120 ? first : first[..119] + "…";
    }

    /// <summary>The CSS class of a task state's badge.</summary>
    public static string StateClass(string state) => state switch
    {
        "succeeded" => "state ok",
        "failed" or "timed_out" => "state bad",
        "cancelled" or "interrupted" => "state muted",
        "running" => "state live",
        _ => "state",
    };
}
