using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class ChartPercentileTests
{
    [Theory]
    [InlineData(50, 50)]
    [InlineData(90, 90)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(1, 1)]
    public void NearestRank_OneToAHundred_IsTheValueAtThatRank(int percentile, long expected)
    {
        var sorted = Enumerable.Range(1, 100).Select(i => (long)i).ToList();

        Assert.Equal(expected, ChartPercentile.NearestRank(sorted, percentile));
    }

    [Theory]
    [InlineData(50, 20)]
    [InlineData(75, 30)]
    [InlineData(76, 40)]
    [InlineData(90, 40)]
    [InlineData(99, 40)]
    public void NearestRank_FourValues_RoundsTheRankUpNeverInterpolates(int percentile, long expected)
    {
        // Rank ⌈p/100 × 4⌉: p50 → 2, p75 → 3, p76 → ⌈3.04⌉ = 4.
        Assert.Equal(expected, ChartPercentile.NearestRank([10, 20, 30, 40], percentile));
    }

    [Fact]
    public void NearestRank_OneValue_IsThatValueForEveryPercentile()
    {
        Assert.Equal(7, ChartPercentile.NearestRank([7], 50));
        Assert.Equal(7, ChartPercentile.NearestRank([7], 99));
    }

    [Fact]
    public void NearestRank_TenValues_TakesTheNinthForP90AndTheTenthForP99()
    {
        long[] sorted = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000];

        Assert.Equal(500, ChartPercentile.NearestRank(sorted, 50));
        Assert.Equal(900, ChartPercentile.NearestRank(sorted, 90));
        Assert.Equal(1000, ChartPercentile.NearestRank(sorted, 99));
    }

    [Fact]
    public void NearestRank_NoValues_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ChartPercentile.NearestRank([], 50));
    }
}
