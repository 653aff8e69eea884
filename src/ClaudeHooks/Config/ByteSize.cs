using System.Globalization;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Config;

/// <summary>Sizes written the way Docker users write them: "4g", "512m", "1.5GiB", "65536".</summary>
internal static partial class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var number = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        var multiplier = match.Groups["u"].Value.ToLowerInvariant() switch
        {
            "" or "b" => 1L,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            "t" or "tb" or "tib" => 1L << 40,
            _ => 0L,
        };
        var value = number * multiplier;
        if (multiplier == 0 || value > long.MaxValue || value < 1)
        {
            return false;
        }

        bytes = (long)value;
        return true;
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30}g",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20}m",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10}k",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>[a-zA-Z]*)$")]
    private static partial Regex SizePattern();
}
