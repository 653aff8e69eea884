using System.Globalization;
using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ClaudeHooks.Dashboard;

/// <summary>Tasks: the filtered list with the submit form, a task's page (operator or signed link), Cancel and Retry.</summary>
internal static class TaskPages
{
    private static readonly string[] FormFields = ["agent", "repo", "base_ref", "thread", "prompt", "timeout", "image"];

    public static RouteGroupBuilder MapTaskPages(this RouteGroupBuilder ui)
    {
        ui.MapGet("/ui/tasks", ListAsync);
        ui.MapPost("/ui/tasks", SubmitAsync);
        ui.MapGet("/ui/tasks/{id}", DetailAsync);
        ui.MapPost("/ui/tasks/{id}/cancel", CancelAsync);
        ui.MapPost("/ui/tasks/{id}/retry", RetryAsync);
        return ui;
    }

    /// <summary>The pages a signed link opens: the task read-only, and its live region.</summary>
    public static IEndpointRouteBuilder MapSharedTask(this IEndpointRouteBuilder app)
    {
        app.MapGet(DashboardPaths.Shared + "/task/{id}", SharedAsync).ExcludeFromDescription();
        app.MapGet("/ui/live/tasks/{id}", LiveAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, AgentsConfig config, Database database, SecretRedactor redactor) =>
        await ListPageAsync(context, config, database, redactor, TaskForm.Empty, StatusCodes.Status200OK);

    private static async Task<IResult> ListPageAsync(HttpContext context, AgentsConfig config, Database database, SecretRedactor redactor, TaskForm form, int status)
    {
        var (filter, before, errors) = ParseFilter(context.Request.Query, config);
        var tasks = await TaskListReader.ReadAsync(database, redactor, filter, before, context.RequestAborted);
        var older = tasks.Count == TaskListReader.PageSize ? OlderHref(filter, tasks[^1].CreatedAt) : null;
        var view = new TaskListView(tasks, filter, errors, older, form, [.. config.Agents.Select(a => a.Name)], config.Images.Selectable);
        return DashboardPage.Render<Pages.TasksPage>(context, "tasks", new Dictionary<string, object?> { ["View"] = view }, status);
    }

    /// <summary>The list's filters; a value that is not valid is reported next to its field and not applied.</summary>
    internal static (TaskFilter Filter, DateTimeOffset? Before, Dictionary<string, string> Errors) ParseFilter(IQueryCollection query, AgentsConfig config)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Value(string name) => query.TryGetValue(name, out var v) && v.ToString().Trim() is { Length: > 0 } text ? text : null;
        var state = Value("state");
        if (state is not null && !TaskStateNames.All.Contains(state))
        {
            errors["state"] = $"\"{state}\" is not a state; use one of {string.Join(", ", TaskStateNames.All)}";
            state = null;
        }

        var agent = Value("agent");
        if (agent is not null && config.Find(agent) is null)
        {
            errors["agent"] = $"no agent named \"{agent}\"; use one of {string.Join(", ", config.Agents.Select(a => a.Name))}";
            agent = null;
        }

        DateTimeOffset? before = null;
        if (Value("before") is { } beforeText)
        {
            if (DateTimeOffset.TryParse(beforeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                before = parsed;
            }
            else
            {
                errors["before"] = "must be a timestamp such as 2026-11-23T09:00:00Z (use the Older link)";
            }
        }

        return (new TaskFilter(state, agent, Value("repo"), Value("q")), before, errors);
    }

    private static string OlderHref(TaskFilter filter, DateTimeOffset before)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        Add("state", filter.State);
        Add("agent", filter.Agent);
        Add("repo", filter.Repo);
        Add("q", filter.Text);
        Add("before", SqliteTaskStore.Format(before));
        return "/ui/tasks?" + string.Join("&", parts);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, AgentsConfig config, Database database, SecretRedactor redactor, ITaskStore store, TaskSignals signals, TaskWorker worker)
    {
        if (!context.Request.HasFormContentType || !await DashboardApi.ValidFormAsync(context))
        {
            return DashboardPage.StaleForm(context, "/ui/tasks");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var values = FormFields.ToDictionary(f => f, f => form[f].ToString(), StringComparer.Ordinal);
        if (worker.Draining)
        {
            return await ListPageAsync(context, config, database, redactor,
                new TaskForm(values, new Dictionary<string, string> { ["form"] = "the service is draining and takes no new tasks; submit again once it has restarted" }), StatusCodes.Status503ServiceUnavailable);
        }

        // The form goes through the API's own validation, so both give the same messages by field.
        var body = JsonSerializer.SerializeToUtf8Bytes(values.Where(v => v.Value.Trim().Length > 0).ToDictionary(v => v.Key, v => v.Value.Replace("\r\n", "\n", StringComparison.Ordinal)));
        var (submission, status, errors) = TaskSubmission.Parse(body, config);
        if (submission is null)
        {
            return await ListPageAsync(context, config, database, redactor, new TaskForm(values, errors), status);
        }

        if (context.RequestServices.GetRequiredService<Hosting.DiskGuard>().Refusal() is { } full)
        {
            return await ListPageAsync(context, config, database, redactor, new TaskForm(values, new Dictionary<string, string> { ["form"] = full }), StatusCodes.Status503ServiceUnavailable);
        }

        var id = await TaskApi.QueueAsync(submission, store, signals, "submitted from the dashboard");
        return TypedResults.Redirect(DashboardPaths.Task(id));
    }

    private static async Task<IResult> DetailAsync(string id, HttpContext context, ITaskStore store, IForgeStore forge, AgentsConfig config, SecretRedactor redactor) =>
        await TaskDetailReader.ReadAsync(id, store, forge, config, redactor, context.RequestAborted, context.RequestServices.GetService<BudgetLedger>()) is { } view
            ? DashboardPage.Render<Pages.TaskPage>(context, "tasks", new Dictionary<string, object?> { ["View"] = view, ["Proof"] = "" })
            : DashboardPage.NotFound(context, $"There is no task {id}.");

    private static async Task<IResult> SharedAsync(string id, HttpContext context, ITaskStore store, IForgeStore forge, AgentsConfig config, SecretRedactor redactor)
    {
        var access = DashboardAccess.ForTask(context, id);
        if (Refusal(context, access) is { } refused)
        {
            return refused;
        }

        return await TaskDetailReader.ReadAsync(id, store, forge, config, redactor, context.RequestAborted, context.RequestServices.GetService<BudgetLedger>()) is { } view
            ? DashboardPage.Render<Pages.TaskPage>(context, "shared", new Dictionary<string, object?> { ["View"] = view, ["Proof"] = DashboardAccess.ProofQuery(context, TaskAccess.Shared), ["ReadOnly"] = true })
            : DashboardPage.NotFound(context, $"There is no task {id}.");
    }

    private static async Task<IResult> LiveAsync(string id, HttpContext context, ITaskStore store, IForgeStore forge, AgentsConfig config, SecretRedactor redactor, IAntiforgery antiforgery)
    {
        var access = DashboardAccess.ForTask(context, id);
        if (access is TaskAccess.Denied or TaskAccess.Expired)
        {
            return TypedResults.Problem(statusCode: access == TaskAccess.Expired ? StatusCodes.Status410Gone : StatusCodes.Status401Unauthorized, title: "Not allowed", detail: "sign in again, or ask for a new link");
        }

        if (await TaskDetailReader.ReadAsync(id, store, forge, config, redactor, context.RequestAborted, context.RequestServices.GetService<BudgetLedger>()) is not { } view)
        {
            return TypedResults.NotFound();
        }

        return new RazorComponentResult<Pages.TaskLive>(new Dictionary<string, object?>
        {
            ["View"] = view,
            ["ReadOnly"] = access != TaskAccess.Operator,
            ["Csrf"] = access == TaskAccess.Operator ? antiforgery.GetAndStoreTokens(context).RequestToken ?? "" : "",
        });
    }

    /// <summary>The page for a signed link that does not open: altered (403) or expired (410).</summary>
    internal static RazorComponentResult<Pages.MessagePage>? Refusal(HttpContext context, TaskAccess access) => access switch
    {
        TaskAccess.Expired => DashboardPage.Message(context, StatusCodes.Status410Gone, "Link expired",
            "This read-only link has expired. Ask the operator for a new one, or follow the latest link in the forge's tracking comment."),
        TaskAccess.Denied => DashboardPage.Message(context, StatusCodes.Status403Forbidden, "Link not valid",
            "This link is not one the service signed (it may have been altered or cut short). Open it again from the forge's tracking comment."),
        _ => null,
    };

    private static async Task<IResult> CancelAsync(string id, HttpContext context, TaskStateMachine machine, TaskSignals signals)
    {
        if (!await DashboardApi.ValidFormAsync(context))
        {
            return DashboardPage.StaleForm(context, DashboardPaths.Task(id));
        }

        var was = await machine.CancelAsync(id, "cancelled from the dashboard", context.RequestAborted);
        if (was is null)
        {
            return DashboardPage.NotFound(context, $"There is no task {id}.");
        }

        if (was == TaskState.Running)
        {
            signals.Cancel(id);
        }

        return TypedResults.Redirect(DashboardPaths.Task(id));
    }

    private static async Task<IResult> RetryAsync(string id, HttpContext context, AgentsConfig config, ITaskStore store, IForgeStore forge, TaskSignals signals, TaskWorker worker)
    {
        if (!await DashboardApi.ValidFormAsync(context))
        {
            return DashboardPage.StaleForm(context, DashboardPaths.Task(id));
        }

        var task = await store.GetTaskAsync(id, context.RequestAborted);
        if (task is null)
        {
            return DashboardPage.NotFound(context, $"There is no task {id}.");
        }

        if (!task.State.IsFinal() || task.Performer != TaskPerformers.Agent || await forge.GetForgeTaskAsync(id, context.RequestAborted) is not null)
        {
            return DashboardPage.Message(context, StatusCodes.Status409Conflict, "Not retried",
                task.State.IsFinal() ? "A forge task is retried by the forge flow: re-assign the issue or request the review again." : $"The task has not ended ({task.State.ToName()}); cancel it first or wait.",
                DashboardPaths.Task(id), "Back to the task");
        }

        if (worker.Draining)
        {
            return DashboardPage.Message(context, StatusCodes.Status503ServiceUnavailable, "Not retried", "The service is draining and takes no new tasks; retry once it has restarted.", DashboardPaths.Task(id), "Back to the task");
        }

        // The same request, checked against today's config (the agent or repository rules may have changed since).
        var request = new Dictionary<string, string?>
        {
            ["agent"] = task.Agent, ["repo"] = task.Repo, ["base_ref"] = task.BaseRef, ["thread"] = task.Thread, ["prompt"] = task.Prompt,
            ["timeout"] = task.Timeout is { } timeout ? Duration.Format(timeout) : null, ["image"] = task.Image,
        };
        var (submission, _, errors) = TaskSubmission.Parse(JsonSerializer.SerializeToUtf8Bytes(request.Where(r => r.Value is not null).ToDictionary()), config);
        if (submission is null)
        {
            return DashboardPage.Message(context, StatusCodes.Status400BadRequest, "Not retried",
                "The request is no longer valid: " + string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")), DashboardPaths.Task(id), "Back to the task");
        }

        if (context.RequestServices.GetRequiredService<Hosting.DiskGuard>().Refusal() is { } full)
        {
            return DashboardPage.Message(context, StatusCodes.Status503ServiceUnavailable, "Not retried", full, DashboardPaths.Task(id), "Back to the task");
        }

        var retry = await TaskApi.QueueAsync(submission, store, signals, $"retry of task {id} from the dashboard");
        return TypedResults.Redirect(DashboardPaths.Task(retry));
    }
}
