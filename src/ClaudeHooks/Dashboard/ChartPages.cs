using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Dashboard;

/// <summary>Charts: tasks per day by outcome, cost per agent and per repository per day, duration percentiles per agent.</summary>
internal static class ChartPages
{
    public const string Path = "/ui/charts";

    public static RouteGroupBuilder MapChartPages(this RouteGroupBuilder ui)
    {
        ui.MapGet(Path, PageAsync);
        return ui;
    }

    private static async Task<IResult> PageAsync(HttpContext context, Database database, SecretRedactor redactor, TimeProvider clock, string? days)
    {
        var now = clock.GetUtcNow();
        var window = ChartWindow.Parse(days, now);
        ChartData data;
        try
        {
            data = await ChartReader.ReadAsync(database, window.First, window.Last, context.RequestAborted);
        }
        catch (SqliteException e)
        {
            return DashboardPage.Message(context, StatusCodes.Status503ServiceUnavailable, "Charts",
                $"The database {database.FilePath} cannot be read ({e.Message}); check the disk and the file's permissions, then open the page again.", "/", "Go to the overview");
        }

        return DashboardPage.Render<Pages.ChartsPage>(context, "charts", new Dictionary<string, object?>
        {
            ["View"] = ChartViews.Build(window, data, redactor, now),
        });
    }
}
