using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class ChartScaleTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(-3, 1)]
    [InlineData(1, 1)]
    [InlineData(1.01, 2)]
    [InlineData(2, 2)]
    [InlineData(3, 5)]
    [InlineData(7, 10)]
    [InlineData(10, 10)]
    [InlineData(1000, 1000)]
    [InlineData(1001, 2000)]
    [InlineData(12345, 20000)]
    [InlineData(0.3, 0.5)]
    [InlineData(0.034, 0.05)]
    [InlineData(0.0001, 0.0001)]
    public void NiceMax_Value_IsTheSmallestOneTwoOrFiveTimesAPowerOfTenAtLeastIt(double value, double expected)
    {
        Assert.Equal(expected, ChartScale.NiceMax(value));
    }

    [Fact]
    public void NiceMax_NotANumber_IsOne()
    {
        Assert.Equal(1, ChartScale.NiceMax(double.NaN));
        Assert.Equal(1, ChartScale.NiceMax(double.PositiveInfinity));
    }

    [Theory]
    [InlineData(1, true, new[] { 0d, 1 })]
    [InlineData(2, true, new[] { 0d, 1, 2 })]
    [InlineData(5, true, new[] { 0d, 1, 2, 3, 4, 5 })]
    [InlineData(10, true, new[] { 0d, 2, 4, 6, 8, 10 })]
    [InlineData(200, true, new[] { 0d, 50, 100, 150, 200 })]
    [InlineData(2, false, new[] { 0d, 0.5, 1, 1.5, 2 })]
    [InlineData(1, false, new[] { 0d, 0.2, 0.4, 0.6, 0.8, 1 })]
    public void Ticks_NiceMax_StepEvenlyFromZeroToTheMaximum(double max, bool whole, double[] expected)
    {
        var ticks = ChartScale.Ticks(max, whole);

        Assert.Equal(expected.Length, ticks.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], ticks[i], 9);
        }
    }
}
