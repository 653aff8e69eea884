namespace ClaudeHooks.Dashboard;

/// <summary>Tasks: the filtered list with the submit form, a task's page (operator or signed link), Cancel and Retry.</summary>
internal static class TaskPages
{
    public static RouteGroupBuilder MapTaskPages(this RouteGroupBuilder ui) => ui;

    public static IEndpointRouteBuilder MapSharedTask(this IEndpointRouteBuilder app) => app;
}
