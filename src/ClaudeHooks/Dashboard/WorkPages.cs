using System.Globalization;
using ClaudeHooks.Config;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;

namespace ClaudeHooks.Dashboard;

/// <summary>Work items (issue → implementation → pull request → reviews → merge), the gateway's egress log and webhook deliveries.</summary>
internal static class WorkPages
{
    public const int PageSize = 50;

    public static RouteGroupBuilder MapWorkPages(this RouteGroupBuilder ui)
    {
        ui.MapGet("/ui/work", ListAsync);
        ui.MapGet("/ui/work/{owner}/{name}/{number}", ItemAsync);
        ui.MapGet(GatewayPages.Path, GatewayPages.PageAsync);
        ui.MapGet(DeliveriesView.Path, DeliveryPages.PageAsync);
        return ui;
    }

    private static async Task<IResult> ListAsync(HttpContext context, AgentsConfig config, Database database, SecretRedactor redactor, string? page)
    {
        var number = 1;
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number < 1))
        {
            return DashboardPage.NotFound(context, $"There is no page {redactor.Redact(page).Text} of work items; pages count from 1.");
        }

        var items = Items(await new WorkReader(database).ReadAsync(null, context.RequestAborted), config, redactor);
        return DashboardPage.Render<Pages.WorkItemsPage>(context, "work", new Dictionary<string, object?>
        {
            ["View"] = Page(items, number, config.Forge is not null),
        });
    }

    private static async Task<IResult> ItemAsync(HttpContext context, AgentsConfig config, Database database, SecretRedactor redactor, string owner, string name, string number)
    {
        var repo = $"{owner}/{name}";
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            return DashboardPage.NotFound(context, $"{redactor.Redact(number).Text} is not an issue or pull request number.");
        }

        var items = Items(await new WorkReader(database).ReadAsync(repo, context.RequestAborted), config, redactor);
        if (WorkChains.Find(items, repo, n) is not { } item)
        {
            return DashboardPage.NotFound(context, $"The agents did no work on #{n} of {redactor.Redact(repo).Text}.");
        }

        // A pull request an implement task opened is part of its issue's item: one address for the whole chain.
        if (item.Number != n)
        {
            return TypedResults.Redirect(DashboardPaths.WorkItem(item.Repo, item.Number));
        }

        return DashboardPage.Render<Pages.WorkItemPage>(context, "work", new Dictionary<string, object?>
        {
            ["Item"] = item,
            ["ForgeConfigured"] = config.Forge is not null,
        });
    }

    internal static IReadOnlyList<WorkItemView> Items(IEnumerable<WorkTaskRow> rows, AgentsConfig config, SecretRedactor redactor) =>
        WorkChains.Group(rows, repo => config.Forge?.Find(repo)?.ForgeUrl, text => redactor.Redact(text).Text);

    internal static WorkListView Page(IReadOnlyList<WorkItemView> items, int page, bool forgeConfigured) =>
        new([.. items.Skip((int)Math.Min((page - 1L) * PageSize, int.MaxValue)).Take(PageSize)], page, PageSize, items.Count, forgeConfigured);
}
