using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaudeHooks.Dashboard;

/// <summary>Renders a page component on the server with its frame; everything a page shows is encoded as text by Razor.</summary>
internal static class DashboardPage
{
    public static PageFrame Frame(HttpContext context, string section)
    {
        var draining = context.RequestServices.GetRequiredService<Tasks.TaskWorker>().Draining;
        var csrf = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context).RequestToken ?? "";
        return new PageFrame(context.Session() is not null, draining, csrf, section);
    }

    public static RazorComponentResult<T> Render<T>(HttpContext context, string section, IReadOnlyDictionary<string, object?> parameters, int status = StatusCodes.Status200OK)
        where T : IComponent
    {
        var all = new Dictionary<string, object?>(parameters) { ["Frame"] = Frame(context, section) };
        return new RazorComponentResult<T>(all) { StatusCode = status };
    }

    public static RazorComponentResult<Pages.MessagePage> Message(HttpContext context, int status, string title, string text, string? back = null, string backLabel = "Back") =>
        Render<Pages.MessagePage>(context, "", new Dictionary<string, object?> { ["Title"] = title, ["Text"] = text, ["Back"] = back, ["BackLabel"] = backLabel }, status);

    public static RazorComponentResult<Pages.MessagePage> NotFound(HttpContext context, string text) =>
        Message(context, StatusCodes.Status404NotFound, "Not found", text, context.Session() is null ? null : "/", "Go to the overview");

    /// <summary>A form whose anti-forgery token is missing or from another session: nothing was done.</summary>
    public static RazorComponentResult<Pages.MessagePage> StaleForm(HttpContext context, string back) =>
        Message(context, StatusCodes.Status400BadRequest, "This form has expired",
            "The form was opened in an earlier session (or its security token is missing), so nothing was changed. Open the page again and repeat what you did.",
            back, "Open the page again");
}
