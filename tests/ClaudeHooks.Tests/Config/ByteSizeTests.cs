using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("4g", 4L << 30)]
    [InlineData("4GiB", 4L << 30)]
    [InlineData("512m", 512L << 20)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("64k", 64L << 10)]
    [InlineData("1000", 1000L)]
    public void TryParse_DockerStyleSizes_GivesBytes(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("g")]
    [InlineData("4x")]
    [InlineData("-1g")]
    [InlineData("0")]
    public void TryParse_Nonsense_IsRefused(string text) => Assert.False(ByteSize.TryParse(text, out _));

    [Fact]
    public void Format_RoundUnits_AreShort() => Assert.Equal(["4g", "512m", "3k", "1000"], new[] { 4L << 30, 512L << 20, 3L << 10, 1000L }.Select(ByteSize.Format));
}
