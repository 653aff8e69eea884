namespace ClaudeHooks.Dashboard;

/// <summary>
/// Who may read a task's pages: a signed-in operator, or anyone holding a valid signed link for that task (its
/// <c>until</c> and <c>sig</c> query parameters, carried on to the page's own event requests).
/// </summary>
internal static class DashboardAccess
{
    public static TaskAccess ForTask(HttpContext context, string taskId)
    {
        if (context.Session() is not null)
        {
            return TaskAccess.Operator;
        }

        var links = context.RequestServices.GetRequiredService<SignedLinks>();
        var clock = context.RequestServices.GetRequiredService<TimeProvider>();
        return links.Check(TaskResource(taskId), context.Request.Query["until"], context.Request.Query["sig"], clock.GetUtcNow()) switch
        {
            LinkCheck.Valid => TaskAccess.Shared,
            LinkCheck.Expired => TaskAccess.Expired,
            _ => TaskAccess.Denied,
        };
    }

    public static string TaskResource(string taskId) => $"task/{taskId}";

    /// <summary>The query that carries a signed link's proof on to the page's own requests; empty for an operator.</summary>
    public static string ProofQuery(HttpContext context, TaskAccess access) =>
        access == TaskAccess.Shared
            ? $"until={Uri.EscapeDataString(context.Request.Query["until"].ToString())}&sig={Uri.EscapeDataString(context.Request.Query["sig"].ToString())}"
            : "";
}

internal enum TaskAccess
{
    Denied,
    Expired,
    Shared,
    Operator,
}
