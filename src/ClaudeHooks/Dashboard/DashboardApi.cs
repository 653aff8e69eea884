using ClaudeHooks.Api;
using ClaudeHooks.Config;
using Microsoft.AspNetCore.Antiforgery;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// The dashboard on the service's own listener: <c>/</c> and <c>/ui/…</c>. Pages are rendered on the server; one
/// script (no inline code) keeps them live. An operator signs in with the API token; a signed link opens one task
/// read-only. Every form carries an anti-forgery token bound to the session.
/// </summary>
internal static class DashboardApi
{
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet(DashboardPaths.Assets + "/{name}", (string name, HttpContext context) => DashboardAssets.Serve(name, context)).ExcludeFromDescription();
        app.MapGet(DashboardPaths.SignIn, SignInForm).ExcludeFromDescription();
        app.MapPost(DashboardPaths.SignIn, SignInAsync).ExcludeFromDescription();

        var ui = app.MapGroup("").AddEndpointFilter(RequireOperatorAsync).ExcludeFromDescription();
        ui.MapPost("/ui/signout", SignOutAsync);
        ui.MapGet("/", OverviewPages.PageAsync);
        ui.MapGet("/ui/live/overview", OverviewPages.LiveAsync);
        ui.MapTaskPages();
        ui.MapWorkPages();
        ui.MapChartPages();

        // Read by an operator or through a task's signed link: each endpoint checks which.
        app.MapTranscript();
        app.MapSharedTask();

        app.MapFallback("/ui/{**rest}", (HttpContext context) => DashboardPage.NotFound(context, $"There is no page at {context.Request.Path}.")).ExcludeFromDescription();
        return app;
    }

    /// <summary>Pages and actions for operators only: a browser without a session is sent to sign in; a form post is refused, changing nothing.</summary>
    private static async ValueTask<object?> RequireOperatorAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        if (context.Session() is not null)
        {
            return await next(invocation);
        }

        if (HttpMethods.IsGet(context.Request.Method))
        {
            if (context.Request.Path.StartsWithSegments("/ui/live", StringComparison.Ordinal) || context.Request.Headers.Accept.ToString().Contains("application/json", StringComparison.Ordinal))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Signed out", detail: "the dashboard session ended; sign in again");
            }

            var back = context.Request.Path + context.Request.QueryString;
            return TypedResults.Redirect($"{DashboardPaths.SignIn}?return={Uri.EscapeDataString(back)}");
        }

        return DashboardPage.Message(context, StatusCodes.Status401Unauthorized, "Signed out",
            "Your session has ended, so nothing was changed. Sign in again and repeat what you did.", DashboardPaths.SignIn, "Sign in");
    }

    /// <summary>Checks the form's anti-forgery token; false when the form is stale (the caller changes nothing).</summary>
    public static async Task<bool> ValidFormAsync(HttpContext context)
    {
        try
        {
            return await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context);
        }
        catch (Exception e) when (e is AntiforgeryValidationException or InvalidDataException or NotSupportedException or IOException or BadHttpRequestException)
        {
            // A body that is not a well-formed form of a sane size is as good as no token.
            return false;
        }
    }

    private static IResult SignInForm(HttpContext context, string? @return) =>
        context.Session() is not null
            ? TypedResults.Redirect(DashboardPaths.SafeReturn(@return))
            : DashboardPage.Render<Pages.SignInPage>(context, "signin", new Dictionary<string, object?> { ["Return"] = DashboardPaths.SafeReturn(@return) });

    private static async Task<IResult> SignInAsync(HttpContext context, ApiToken token, DashboardSessions sessions, AgentsConfig config)
    {
        if (!context.Request.HasFormContentType)
        {
            return DashboardPage.Message(context, StatusCodes.Status400BadRequest, "Sign in", "Sign in with the form on the sign-in page.", DashboardPaths.SignIn, "Sign in");
        }

        if (!await ValidFormAsync(context))
        {
            return DashboardPage.StaleForm(context, DashboardPaths.SignIn);
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var back = DashboardPaths.SafeReturn(form["return"]);
        if (!token.Matches(form["token"].ToString().Trim()))
        {
            return DashboardPage.Render<Pages.SignInPage>(context, "signin", new Dictionary<string, object?>
            {
                ["Return"] = back,
                ["Error"] = "That is not the API token. Copy it from $CLAUDE_HOOKS_HOME/api-token on the service's machine.",
            }, StatusCodes.Status401Unauthorized);
        }

        var ttl = config.Service.SessionTtl;
        var value = await sessions.OpenAsync(ttl, context.RequestAborted);
        context.Response.Cookies.Append(DashboardSessions.CookieName, value, DashboardSecurity.CookieOptions(context, DateTimeOffset.UtcNow + ttl));
        return TypedResults.Redirect(back);
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, DashboardSessions sessions)
    {
        if (!await ValidFormAsync(context))
        {
            return DashboardPage.StaleForm(context, "/");
        }

        if (context.Request.Cookies.TryGetValue(DashboardSessions.CookieName, out var cookie))
        {
            await sessions.CloseAsync(cookie, context.RequestAborted);
        }

        context.Response.Cookies.Delete(DashboardSessions.CookieName, DashboardSecurity.CookieOptions(context, null));
        return TypedResults.Redirect(DashboardPaths.SignIn);
    }
}
