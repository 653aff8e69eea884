namespace ClaudeHooks.Api;

/// <summary>RFC 9457 problem responses that name the offending field and the fix.</summary>
internal static class Problems
{
    public static IResult Field(int status, string field, string message) =>
        TypedResults.Problem(
            detail: $"{field}: {message}",
            statusCode: status,
            title: status == StatusCodes.Status413PayloadTooLarge ? "Request too large" : "Invalid request",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    public static IResult Fields(IReadOnlyDictionary<string, string> errors) =>
        TypedResults.Problem(
            detail: string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")),
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid request",
            extensions: new Dictionary<string, object?> { ["errors"] = errors.ToDictionary(e => e.Key, e => new[] { e.Value }) });

    /// <summary>A 503: the service cannot take the request now; <paramref name="message"/> says why and what to do.</summary>
    public static IResult Unavailable(string field, string message) =>
        TypedResults.Problem(
            detail: $"{field}: {message}",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Service unavailable",
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } });

    public static IResult NotFound(string what) =>
        TypedResults.Problem(detail: what, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static async Task Write(HttpContext context, int status, string title, string detail, string field)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        await context.Response.WriteAsJsonAsync(new
        {
            type = "about:blank",
            title,
            status,
            detail,
            errors = new Dictionary<string, string[]> { [field] = [detail] },
        }, options: null, contentType: "application/problem+json");
    }
}
