using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class ChartWindowTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 23, 30, 0, TimeSpan.FromHours(-5));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Parse_NoValue_IsTheDefaultWithoutAnError(string? text)
    {
        var window = ChartWindow.Parse(text, Now);

        Assert.Equal(ChartWindow.DefaultDays, window.Days);
        Assert.Null(window.Error);
    }

    [Fact]
    public void Parse_NowInAnotherOffset_EndsOnTheUtcDayAndCountsTodayIn()
    {
        var window = ChartWindow.Parse("7", Now);

        Assert.Equal(7, window.Days);
        Assert.Equal(new DateOnly(2026, 3, 15), window.Last);
        Assert.Equal(new DateOnly(2026, 3, 9), window.First);
        Assert.Equal(7, window.Dates.Count);
        Assert.Null(window.Error);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("90", 90)]
    [InlineData(" 30 ", 30)]
    [InlineData("014", 14)]
    public void Parse_WholeNumberInRange_IsTaken(string text, int days)
    {
        var window = ChartWindow.Parse(text, Now);

        Assert.Equal(days, window.Days);
        Assert.Equal(window.Last.AddDays(1 - days), window.First);
        Assert.Null(window.Error);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("91")]
    [InlineData("-3")]
    [InlineData("+3")]
    [InlineData("1.5")]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    [InlineData("7,8")]
    public void Parse_BadValue_UsesTheDefaultAndSaysWhatIsAllowed(string text)
    {
        var window = ChartWindow.Parse(text, Now);

        Assert.Equal(ChartWindow.DefaultDays, window.Days);
        Assert.NotNull(window.Error);
        Assert.Contains("from 1 to 90", window.Error);
        Assert.Contains("Showing the last 14 days", window.Error);
    }

    [Fact]
    public void Parse_LongBadValue_IsShortenedInTheError()
    {
        var window = ChartWindow.Parse(new string('x', 500), Now);

        Assert.True(window.Error!.Length < 200);
        Assert.Contains("…", window.Error);
    }
}
