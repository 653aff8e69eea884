using System.Globalization;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Config;

/// <summary>Durations written as "90s", "10m", "1h30m", "7d".</summary>
internal static partial class Duration
{
    /// <summary>The longest duration any setting takes (a year): longer ones are refused, never overflowed.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(365);

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var trimmed = text.Trim();
        if (!Whole().IsMatch(trimmed))
        {
            return false;
        }

        var seconds = 0.0;
        foreach (Match part in Part().Matches(trimmed))
        {
            var number = double.Parse(part.Groups["n"].Value, CultureInfo.InvariantCulture);
            seconds += number * part.Groups["u"].Value switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => 86400,
            };
        }

        if (!(seconds > 0) || seconds > Longest.TotalSeconds)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }

    public static string Format(TimeSpan value) => value switch
    {
        { TotalDays: >= 1 } when value.TotalDays % 1 == 0 => $"{value.TotalDays:0}d",
        { TotalHours: >= 1 } when value.TotalHours % 1 == 0 => $"{value.TotalHours:0}h",
        { TotalMinutes: >= 1 } when value.TotalMinutes % 1 == 0 => $"{value.TotalMinutes:0}m",
        _ => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###}s"),
    };

    [GeneratedRegex(@"^(\d+(\.\d+)?(ms|s|m|h|d))+$")]
    private static partial Regex Whole();

    [GeneratedRegex(@"(?<n>\d+(\.\d+)?)(?<u>ms|s|m|h|d)")]
    private static partial Regex Part();
}
