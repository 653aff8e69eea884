using System.Globalization;
using ClaudeHooks.Api;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// A task's transcript for people: pages of rendered entries, one event in full, and a live stream of them. An
/// operator or a holder of the task's signed link may read it; every text is redacted again as it leaves.
/// </summary>
internal static class TranscriptApi
{
    public const int DefaultLimit = 200;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapTranscript(this IEndpointRouteBuilder app)
    {
        var transcript = app.MapGroup("/ui/tasks/{id}/transcript").ExcludeFromDescription();
        transcript.MapGet("", PageAsync);
        transcript.MapGet("/stream", StreamAsync);
        transcript.MapGet("/{seq:long}", EventAsync);
        return app;
    }

    /// <summary>The newest page of entries, or the one before <c>before</c>; <c>earlier</c> reads the page ahead of it.</summary>
    private static async Task<IResult> PageAsync(string id, HttpContext context, ITaskStore store, Database database, SecretRedactor redactor)
    {
        if (await RefusedAsync(context, id, store) is { } refused)
        {
            return refused;
        }

        var query = context.Request.Query;
        long? before = null;
        if (query.TryGetValue("before", out var beforeText))
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
            {
                return Problems.Field(StatusCodes.Status400BadRequest, "before", "must be a sequence number of 1 or more (the earlier of the page after it)");
            }

            before = parsed;
        }

        var limit = DefaultLimit;
        if (query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return Problems.Field(StatusCodes.Status400BadRequest, "limit", $"must be a whole number from 1 to {MaxLimit}");
        }

        var (events, earlier) = await new TranscriptReader(database).PageAsync(id, before, limit, context.RequestAborted);
        return TypedResults.Ok(new TranscriptPage(TranscriptView.Entries(events, redactor), earlier));
    }

    /// <summary>The entries of one event with nothing cut (up to <see cref="TranscriptView.FullLength"/> characters a text), for "show all".</summary>
    private static async Task<IResult> EventAsync(string id, long seq, HttpContext context, ITaskStore store, Database database, SecretRedactor redactor)
    {
        if (await RefusedAsync(context, id, store) is { } refused)
        {
            return refused;
        }

        var stored = await new TranscriptReader(database).EventAsync(id, seq, context.RequestAborted);
        return stored is null
            ? Problems.NotFound($"task {id} has no event {seq}")
            : TypedResults.Ok(new { entries = TranscriptView.Entries(stored, redactor, TranscriptView.FullLength) });
    }

    /// <summary>Server-sent events of the entries after <c>Last-Event-ID</c> (or <c>after</c>), live until the task ends.</summary>
    private static async Task<IResult> StreamAsync(string id, HttpContext context, ITaskStore store, TaskEventBus bus, SecretRedactor redactor, TimeProvider clock)
    {
        if (await RefusedAsync(context, id, store) is { } refused)
        {
            return refused;
        }

        // The browser's own resumption header wins over the query its first request was made with.
        var resume = context.Request.Headers["Last-Event-ID"].ToString();
        var (field, text) = resume.Length > 0 ? ("Last-Event-ID", resume) : ("after", context.Request.Query["after"].ToString());
        long after = 0;
        if (text.Length > 0 && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            return Problems.Field(StatusCodes.Status400BadRequest, field, "must be the sequence number of an event received before (0 or more)");
        }

        var until = LinkExpiry(context);
        context.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(Opened(TranscriptStream.ReadAsync(id, after, store, bus, redactor, TranscriptStream.KeepAlive,
            () => until is { } end && clock.GetUtcNow() >= end, context.RequestAborted)));
    }

    /// <summary>A first <c>ping</c>, so the response starts at once and the browser knows it is connected before any event comes.</summary>
    private static async IAsyncEnumerable<System.Net.ServerSentEvents.SseItem<object?>> Opened(IAsyncEnumerable<System.Net.ServerSentEvents.SseItem<object?>> items)
    {
        yield return new System.Net.ServerSentEvents.SseItem<object?>(null, "ping");
        await foreach (var item in items)
        {
            yield return item;
        }
    }

    /// <summary>Null when the caller may read the task; otherwise the problem to answer with.</summary>
    private static async Task<IResult?> RefusedAsync(HttpContext context, string id, ITaskStore store)
    {
        switch (DashboardAccess.ForTask(context, id))
        {
            case TaskAccess.Expired:
                return TypedResults.Problem(statusCode: StatusCodes.Status410Gone, title: "Link expired", detail: "this read-only link has expired; ask for a new one");
            case TaskAccess.Denied:
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "sign in, or open the task through a valid read-only link");
        }

        return await store.GetTaskAsync(id, context.RequestAborted) is null ? Problems.NotFound($"no task {id}") : null;
    }

    /// <summary>When a shared link's reader loses access: its <c>until</c>; never for an operator.</summary>
    private static DateTimeOffset? LinkExpiry(HttpContext context) =>
        context.Session() is null && long.TryParse(context.Request.Query["until"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, DateTimeOffset.MaxValue.ToUnixTimeSeconds()))
            : null;
}
