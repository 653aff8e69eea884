using ClaudeHooks.Config;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;

namespace ClaudeHooks.Dashboard;

/// <summary>The deliveries page: recent webhooks and what each came to, or one delivery (<c>?id=</c>).</summary>
internal static class DeliveryPages
{
    public const int Limit = 100;

    public static async Task<IResult> PageAsync(HttpContext context, AgentsConfig config, Database database, SecretRedactor redactor, string? id, string? dead)
    {
        var deadOnly = false;
        if (!string.IsNullOrEmpty(dead) && !bool.TryParse(dead, out deadOnly))
        {
            return DashboardPage.Message(context, StatusCodes.Status400BadRequest, "Deliveries",
                "dead must be true (only the deliveries that were given up) or false (all of them).", DeliveriesView.Path, "All deliveries");
        }

        var reader = new DeliveryReader(database);
        var forge = config.Forge is not null;
        if (!string.IsNullOrEmpty(id))
        {
            if (await reader.FindAsync(id, context.RequestAborted) is not { } one)
            {
                return DashboardPage.NotFound(context, $"No webhook delivery {redactor.Redact(id).Text} is stored; it may never have arrived.");
            }

            var row = DeliveryRow.From(one, redactor);
            return Render(context, new DeliveriesView([row], false, row.Id, 1, forge));
        }

        var rows = await reader.ListAsync(deadOnly, Limit, context.RequestAborted);
        return Render(context, new DeliveriesView([.. rows.Select(r => DeliveryRow.From(r, redactor))], deadOnly, null, Limit, forge));
    }

    private static IResult Render(HttpContext context, DeliveriesView view) =>
        DashboardPage.Render<Pages.DeliveriesPage>(context, "deliveries", new Dictionary<string, object?> { ["View"] = view });
}
