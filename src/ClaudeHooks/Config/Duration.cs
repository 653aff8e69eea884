using System.Globalization;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Config;

/// <summary>Durations written as "90s", "10m", "1h30m", "7d".</summary>
internal static partial class Duration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var trimmed = text.Trim();
        if (!Whole().IsMatch(trimmed))
        {
            return false;
        }

        foreach (Match part in Part().Matches(trimmed))
        {
            var number = double.Parse(part.Groups["n"].Value, CultureInfo.InvariantCulture);
            value += part.Groups["u"].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                _ => TimeSpan.FromDays(number),
            };
        }

        return value > TimeSpan.Zero;
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
