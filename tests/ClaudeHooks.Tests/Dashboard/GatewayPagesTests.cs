using ClaudeHooks.Dashboard;
using ClaudeHooks.Gateway;
using ClaudeHooks.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class GatewayPagesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Build_NoFilters_AsksForTheNewestRecords()
    {
        var (view, asked) = await BuildAsync("");

        Assert.Empty(view.Errors);
        Assert.True(view.Latest);
        Assert.Equal(new EgressQuery(null, null, null, null, null, 100, Latest: true), asked);
    }

    [Fact]
    public async Task Build_BlankFormFields_MeanAny()
    {
        var (view, asked) = await BuildAsync("?agent=&task=&decision=&since=&limit=");

        Assert.Empty(view.Errors);
        Assert.Equal(new EgressQuery(null, null, null, null, null, 100, Latest: true), asked);
    }

    [Fact]
    public async Task Build_Since_ReadsForwardFromThen()
    {
        var (view, asked) = await BuildAsync("?agent=dev&decision=denied&since=2h&limit=5");

        Assert.False(view.Latest);
        Assert.Equal(new EgressQuery("dev", null, "denied", Now.AddHours(-2), null, 5), asked);
        Assert.Equal(new GatewayFilters("dev", "", "denied", "2h", "5"), view.Filters);
    }

    [Theory]
    [InlineData("?since=yesterday", "since", "\"yesterday\" is neither a timestamp such as 2026-11-23T09:00:00Z nor a duration such as 15m, 2h or 7d (that long ago)")]
    [InlineData("?decision=maybe", "decision", "\"maybe\" is not a decision; use allowed or denied")]
    [InlineData("?limit=0", "limit", "must be a whole number from 1 to 1000 (default 100)")]
    [InlineData("?after=x", "after", "must be a record id, a whole number of 0 or more (the next of the previous page)")]
    public async Task Build_BadValue_GivesTheEgressApisMessageForItsField(string query, string field, string message)
    {
        var (view, asked) = await BuildAsync(query);

        Assert.Null(asked);
        Assert.Empty(view.Rows);
        Assert.Equal(new GatewayFieldError(field, message), Assert.Single(view.Errors));
        Assert.Equal(message, view.ErrorFor(field)?.Message);
    }

    [Fact]
    public async Task Build_UnknownParameter_IsAnErrorOutsideTheForm()
    {
        var (view, _) = await BuildAsync("?state=running");

        Assert.Equal(["state"], view.OtherErrors.Select(e => e.Field));
        Assert.Null(view.ErrorFor("since"));
    }

    [Fact]
    public async Task Build_FullForwardPage_LinksTheNextAfterItsLastRecordWithSinceAsAnInstant()
    {
        var records = Enumerable.Range(1, 2).Select(i => Record(i, "allowed")).ToList();

        var (view, _) = await BuildAsync("?since=1h&limit=2&task=t%201", records);

        Assert.Equal("/ui/gateway?task=t%201&since=2026-11-23T11%3A00%3A00Z&limit=2&after=2", view.NextHref);
    }

    [Fact]
    public async Task Build_LatestOrShortPage_HasNoNextLink()
    {
        Assert.Null((await BuildAsync("", [Record(1, "allowed")])).View.NextHref);
        Assert.Null((await BuildAsync("?since=1h&limit=2", [Record(1, "allowed")])).View.NextHref);
    }

    [Fact]
    public async Task Build_Rows_AreRedactedAndDeniedOnesMarked()
    {
        var token = "ghp_" + new string('a', 36);
        var (view, _) = await BuildAsync("", [Record(1, "denied") with { Path = $"/x/{token}" }, Record(2, "allowed")]);

        Assert.DoesNotContain(token, view.Rows[0].Path, StringComparison.Ordinal);
        Assert.Equal([true, false], view.Rows.Select(r => r.Denied));
    }

    [Fact]
    public async Task Build_AgentNotConfigured_IsStillOfferedInTheSelect()
    {
        var (view, _) = await BuildAsync("?agent=gone");

        Assert.Equal(["dev", "reviewer", "gone"], view.Agents);
    }

    [Theory]
    [InlineData(512, "512 B")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(3 * 1024 * 1024, "3 MB")]
    public void Bytes_Count_IsShortForAReader(long bytes, string expected)
    {
        Assert.Equal(expected, GatewayRow.Bytes(bytes));
    }

    private static async Task<(GatewayView View, EgressQuery? Asked)> BuildAsync(string query, IReadOnlyList<EgressRecord>? records = null)
    {
        EgressQuery? asked = null;
        var view = await GatewayPages.BuildAsync(new QueryCollection(QueryHelpers.ParseQuery(query)), ["dev", "reviewer"], (q, _) =>
        {
            asked = q;
            return Task.FromResult(records ?? []);
        }, SecretRedactor.FormatsOnly, Now, CancellationToken.None);
        return (view, asked);
    }

    private static EgressRecord Record(long id, string decision) =>
        new(id, Now, "t1", "dev", "http", "api.example", "GET", "/v1", 200, 10, 20, 5, decision, "agent dev allows api.example");
}
