using ClaudeHooks.Dashboard;
using ClaudeHooks.Dashboard.Pages;
using ClaudeHooks.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class ChartsPageTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2026, 3, 14);

    [Fact]
    public async Task Render_Tasks_DrawsEachChartAsAnAccessibleSvgWithItsTable()
    {
        var html = await RenderAsync(View(null,
            new ChartGroup(Today, "dev", "<script>x</script>", "succeeded", 2, 0.5, 2),
            new ChartGroup(Today, "dev", "org/a", "failed", 1, 0.1, 1)));

        Assert.Equal(4, Count(html, "<svg"));
        Assert.Equal(4, Count(html, "role=\"img\""));
        Assert.Contains("aria-labelledby=\"chart-outcomes-title chart-outcomes-desc\"", html);
        Assert.Contains("<title id=\"chart-outcomes-title\">Tasks per day by outcome</title>", html);
        Assert.Contains("<desc id=\"chart-outcomes-desc\">", html);
        Assert.Contains("<figure class=\"chart chart-bars\" id=\"chart-repo-cost\"", html);
        Assert.Contains("<ul class=\"legend\"", html);
        Assert.Contains("class=\"swatch k-failed p-hatch\"", html);
        Assert.Contains("fill=\"url(#chart-outcomes-p-hatch)\"", html);
        Assert.Equal(4, Count(html, "<summary>Table</summary>"));
    }

    [Fact]
    public async Task Render_RepositoryNameWithMarkup_IsEncodedAsText()
    {
        var html = await RenderAsync(View(null, new ChartGroup(Today, "dev", "<script>x</script>", "succeeded", 2, 0.5, 2)));

        Assert.DoesNotContain("<script>x</script>", html);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;", html);
    }

    [Fact]
    public async Task Render_AnyPage_HasNoInlineStyleOrHandler()
    {
        var html = await RenderAsync(View("Days must be a whole number", new ChartGroup(Today, "dev", "org/a", "succeeded", 2, 0.5, 2)));

        Assert.DoesNotContain("style=", html);
        Assert.DoesNotMatch(@"\son[a-z]+=", html);
    }

    [Fact]
    public async Task Render_NoTasks_SaysSoWithoutAChart()
    {
        var html = await RenderAsync(View(null));

        Assert.Contains("No tasks in the last 14 days.", html);
        Assert.DoesNotContain("<svg", html);
    }

    [Fact]
    public async Task Render_DaysError_ShowsItBesideTheFieldAndMarksTheFieldInvalid()
    {
        var html = await RenderAsync(View("Days must be a whole number from 1 to 90, not “x”. Showing the last 14 days."));

        Assert.Contains("<p class=\"field-error\" id=\"days-error\">", html);
        Assert.Contains("aria-invalid=\"true\"", html);
        Assert.Contains("aria-describedby=\"days-error days-hint\"", html);
        Assert.Contains("value=\"14\"", html);
    }

    private static ChartsView View(string? error, params ChartGroup[] groups) =>
        ChartViews.Build(ChartWindow.Parse(null, Now) with { Error = error }, new ChartData(groups, [new ChartDurations("dev", 3, 100, 200, 300)]), SecretRedactor.FormatsOnly, Now);

    private static async Task<string> RenderAsync(ChartsView view)
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, services.GetRequiredService<ILoggerFactory>());
        var parameters = ParameterView.FromDictionary(new Dictionary<string, object?>
        {
            ["Frame"] = new PageFrame(Operator: true, Draining: false, Csrf: "token", Section: "charts"),
            ["View"] = view,
        });
        return await renderer.Dispatcher.InvokeAsync(async () => (await renderer.RenderComponentAsync<ChartsPage>(parameters)).ToHtmlString());
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;
}
