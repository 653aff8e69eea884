using System.Security.Claims;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// What every dashboard response carries, and who is looking. A strict CSP (scripts and styles only from this
/// service, no inline code, no framing), no sniffing, no referrer (a signed link's query never leaks to the forge
/// it links to), no caching. A valid session cookie makes the request an operator's; the Host check of the API
/// has already run.
/// </summary>
internal static class DashboardSecurity
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IApplicationBuilder UseDashboardSecurity(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!DashboardPaths.Contains(context.Request.Path))
        {
            await next(context);
            return;
        }

        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        if (!context.Request.Path.StartsWithSegments(DashboardPaths.Assets, StringComparison.Ordinal))
        {
            headers.CacheControl = "no-store";
        }

        if (context.Request.Cookies.TryGetValue(DashboardSessions.CookieName, out var cookie)
            && await context.RequestServices.GetRequiredService<DashboardSessions>().FindAsync(cookie, context.RequestAborted) is { } session)
        {
            context.Items[typeof(DashboardSession)] = session;
            // Anti-forgery tokens are bound to this identity: a form from another session is stale.
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, session.IdHash)], "dashboard"));
        }

        await next(context);
    });

    public static DashboardSession? Session(this HttpContext context) => context.Items[typeof(DashboardSession)] as DashboardSession;

    /// <summary>The session cookie: HttpOnly, SameSite=Strict, Secure when the browser reached the service over https.</summary>
    public static CookieOptions CookieOptions(HttpContext context, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = IsHttps(context),
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };

    /// <summary>Https as the browser sees it: on this listener, or at a proxy in front that says so.</summary>
    public static bool IsHttps(HttpContext context) =>
        context.Request.IsHttps || string.Equals(context.Request.Headers["X-Forwarded-Proto"], "https", StringComparison.OrdinalIgnoreCase);
}
