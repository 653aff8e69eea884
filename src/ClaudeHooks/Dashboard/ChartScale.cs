namespace ClaudeHooks.Dashboard;

/// <summary>Axis maxima and ticks that read at a glance: 1, 2 or 5 times a power of ten.</summary>
internal static class ChartScale
{
    /// <summary>The smallest 1, 2 or 5 × 10^k that is at least <paramref name="value"/>; 1 when there is nothing to show.</summary>
    public static double NiceMax(double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            return 1;
        }

        var exponent = (int)Math.Floor(Math.Log10(value));
        foreach (var step in (ReadOnlySpan<int>)[1, 2, 5, 10])
        {
            var candidate = Scaled(step, exponent);

            // Log10 may land a hair below an exact power of ten; the tolerance keeps 1000 at 1000, not 2000.
            if (candidate >= value * (1 - 1e-12))
            {
                return candidate;
            }
        }

        return Scaled(10, exponent + 1);
    }

    /// <summary>
    /// The tick values from 0 to <paramref name="max"/> (a <see cref="NiceMax"/>): fifths of a 1 or 5, quarters of a 2.
    /// On a <paramref name="whole"/> axis (counts) no tick falls between two whole numbers.
    /// </summary>
    public static IReadOnlyList<double> Ticks(double max, bool whole)
    {
        var exponent = (int)Math.Floor(Math.Log10(max) + 1e-9);
        var mantissa = Math.Round(max / Scaled(1, exponent));
        var count = mantissa == 2 ? 4 : 5;
        if (whole && max / count < 1)
        {
            count = Math.Max(1, (int)Math.Round(max));
        }

        return [.. Enumerable.Range(0, count + 1).Select(i => max * i / count)];
    }

    /// <summary>step × 10^exponent, divided rather than multiplied for negative exponents so 5e-2 is exactly the double 0.05.</summary>
    private static double Scaled(int step, int exponent) =>
        exponent >= 0 ? step * Math.Pow(10, exponent) : step / Math.Pow(10, -exponent);
}
