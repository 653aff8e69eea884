using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Api;

/// <summary>
/// Every error the framework answers with an empty body (no route: 404; a route without that method: 405) becomes
/// a problem, as every other error of the API is. Dashboard paths keep their own pages.
/// </summary>
internal static class ApiStatusPages
{
    public static IApplicationBuilder UseApiStatusPages(this IApplicationBuilder app) => app.UseStatusCodePages(async status =>
    {
        var context = status.HttpContext;
        if (DashboardPaths.Contains(context.Request.Path))
        {
            return;
        }

        var code = context.Response.StatusCode;
        var path = context.Request.Path.Value ?? "/";
        var detail = code switch
        {
            StatusCodes.Status404NotFound => $"there is no endpoint at {path}; the endpoints are listed at {ApiDocs.Path} and {ApiDocument.Path}",
            StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {path}; use {AllowedMethods(context)}",
            _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(code),
        };
        await TypedResults.Problem(detail: detail, statusCode: code).ExecuteAsync(context);
    });

    private static string AllowedMethods(HttpContext context) =>
        context.Response.Headers.Allow.ToString() is { Length: > 0 } allow ? string.Join(" or ", allow.Split(',', StringSplitOptions.TrimEntries)) : "another method";
}
