using System.Globalization;

namespace ClaudeHooks.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = percentile / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    public static string Describe(IReadOnlyList<double> milliseconds) => string.Create(CultureInfo.InvariantCulture,
        $"median {Percentile(milliseconds, 50):0.0} ms, p90 {Percentile(milliseconds, 90):0.0} ms, min {milliseconds.Min():0.0} ms, max {milliseconds.Max():0.0} ms ({milliseconds.Count} runs)");
}
