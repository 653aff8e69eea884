namespace ClaudeHooks.Dashboard;

/// <summary>Percentiles of task durations.</summary>
internal static class ChartPercentile
{
    /// <summary>
    /// The nearest-rank percentile: of n values sorted ascending, the one at rank ⌈p/100 × n⌉ (1-based). It is always
    /// one of the values, never an interpolation, so a p99 is a duration some task really took.
    /// </summary>
    public static long NearestRank(IReadOnlyList<long> sorted, int percentile)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(percentile, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);

        // Integer arithmetic: the ceiling is exact where p/100 × n in floating point could land just above a whole rank.
        var rank = (int)(((long)percentile * sorted.Count + 99) / 100);
        return sorted[rank - 1];
    }
}
