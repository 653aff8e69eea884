using ClaudeHooks.Api;
using ClaudeHooks.Gateway;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ClaudeHooks.Tests.Api;

public sealed class EgressApiTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Parse_NoParameters_FirstHundredOfEverything()
    {
        var (query, errors) = Parse("");

        Assert.Empty(errors);
        Assert.Equal(new EgressQuery(null, null, null, null, null, EgressApi.DefaultLimit), query);
    }

    [Fact]
    public void Parse_EveryFilter_IsCarriedOver()
    {
        var (query, _) = Parse("?agent=dev&task=t1&decision=denied&since=2026-11-23T09:00:00Z&after=42&limit=1000&latest=true");

        Assert.Equal(new EgressQuery("dev", "t1", EgressRecord.Denied, new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero), 42, 1000, Latest: true), query);
    }

    [Theory]
    [InlineData("15m", 15 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("7d", 7 * 86400)]
    public void Parse_SinceAsDuration_MeansThatLongAgo(string since, int seconds)
    {
        var (query, _) = Parse($"?since={since}");

        Assert.Equal(Now.AddSeconds(-seconds), query!.Since);
    }

    [Theory]
    [InlineData("?decision=maybe", "decision", "use allowed or denied")]
    [InlineData("?since=yesterday", "since", "a duration such as 15m")]
    [InlineData("?limit=0", "limit", "from 1 to 1000")]
    [InlineData("?limit=1001", "limit", "from 1 to 1000")]
    [InlineData("?limit=ten", "limit", "from 1 to 1000")]
    [InlineData("?after=-1", "after", "a whole number of 0 or more")]
    [InlineData("?latest=yes", "latest", "must be true")]
    [InlineData("?agent=", "agent", "is empty")]
    [InlineData("?task=a&task=b", "task", "give it once")]
    [InlineData("?state=running", "state", "unknown query parameter; use agent, task, decision, since, after, limit or latest")]
    public void Parse_BadParameter_NamesItAndTheFix(string text, string field, string message)
    {
        var (query, errors) = Parse(text);

        Assert.Null(query);
        Assert.Contains(message, errors[field], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralMistakes_ReportsEach()
    {
        var (_, errors) = Parse("?decision=x&limit=0&since=soon");

        Assert.Equal(["decision", "limit", "since"], errors.Keys.Order(StringComparer.Ordinal));
    }

    private static (EgressQuery? Query, IReadOnlyDictionary<string, string> Errors) Parse(string text) =>
        EgressApi.Parse(new QueryCollection(QueryHelpers.ParseQuery(text)), Now);
}
