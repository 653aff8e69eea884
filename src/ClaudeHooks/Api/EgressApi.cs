using System.Globalization;
using ClaudeHooks.Config;
using ClaudeHooks.Gateway;

namespace ClaudeHooks.Api;

/// <summary><c>GET /egress</c>: the gateway's audit log of every request a sandbox sent out, filtered and paged by id.</summary>
internal static class EgressApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    private static readonly string[] Parameters = ["agent", "task", "decision", "since", "after", "limit", "latest"];

    public static IEndpointRouteBuilder MapEgressApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/egress", ListAsync).WithName("ListEgress")
            .WithSummary("Egress audit log in id order; filters agent, task, decision, since; page with after=<next>, or latest=true for the newest")
            .Produces<EgressPage>().ProducesProblem(StatusCodes.Status400BadRequest)
            .AddOpenApiOperationTransformer(ApiOperations.Query(
                ("agent", "an agent's name"),
                ("task", "a task id"),
                ("decision", "allowed or denied"),
                ("since", "a timestamp such as 2026-11-23T09:00:00Z, or how long ago: 15m, 2h, 7d"),
                ("after", "the next of the previous page: records with a greater id"),
                ("limit", $"1 to {MaxLimit} (default {DefaultLimit})"),
                ("latest", "true gives the newest limit records instead")));
        return app;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, EgressLog log, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (query, errors) = Parse(request.Query, clock.GetUtcNow());
        if (query is null)
        {
            return Problems.Fields(errors);
        }

        var records = await log.QueryAsync(query, cancellationToken);
        return TypedResults.Ok(new EgressPage(
            [.. records.Select(r => new EgressRecordView(r.Id, r.Time, r.TaskId, r.Agent, r.Route, r.Host, r.Method, r.Path, r.Status, r.BytesIn, r.BytesOut, r.DurationMs, r.Decision, r.Rule))],
            !query.Latest && records.Count == query.Limit ? records[^1].Id : null));
    }

    /// <summary>The query the parameters ask for, or every parameter that is wrong with its fix.</summary>
    internal static (EgressQuery? Query, IReadOnlyDictionary<string, string> Errors) Parse(IQueryCollection parameters, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in parameters.Keys.Where(k => !Parameters.Contains(k, StringComparer.Ordinal)))
        {
            errors[key] = $"unknown query parameter; use {string.Join(", ", Parameters[..^1])} or {Parameters[^1]}";
        }

        string? Text(string name, string empty)
        {
            if (!parameters.TryGetValue(name, out var values))
            {
                return null;
            }

            if (values.Count > 1)
            {
                errors[name] = "given more than once; give it once";
                return null;
            }

            if (string.IsNullOrWhiteSpace(values.ToString()))
            {
                errors[name] = $"is empty; {empty}";
                return null;
            }

            return values.ToString();
        }

        var agent = Text("agent", "give an agent's name, or leave it out for every agent");
        var task = Text("task", "give a task id, or leave it out for every task");

        var decision = Text("decision", "use allowed or denied, or leave it out for both");
        if (decision is not (null or EgressRecord.Allowed or EgressRecord.Denied))
        {
            errors["decision"] = $"\"{decision}\" is not a decision; use allowed or denied";
        }

        DateTimeOffset? since = null;
        if (Text("since", "give a timestamp such as 2026-11-23T09:00:00Z or a duration such as 15m") is { } sinceText)
        {
            if (Duration.TryParse(sinceText, out var ago))
            {
                since = now - ago;
            }
            else if (DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                since = at;
            }
            else
            {
                errors["since"] = $"\"{sinceText}\" is neither a timestamp such as 2026-11-23T09:00:00Z nor a duration such as 15m, 2h or 7d (that long ago)";
            }
        }

        long? after = null;
        if (Text("after", "give the next of the previous page, or leave it out to start at the beginning") is { } afterText)
        {
            if (long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                after = id;
            }
            else
            {
                errors["after"] = "must be a record id, a whole number of 0 or more (the next of the previous page)";
            }
        }

        var limit = DefaultLimit;
        if (Text("limit", $"give a whole number from 1 to {MaxLimit}, or leave it out for {DefaultLimit}") is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            errors["limit"] = $"must be a whole number from 1 to {MaxLimit} (default {DefaultLimit})";
        }

        var latest = false;
        if (Text("latest", "use true or false") is { } latestText && !bool.TryParse(latestText, out latest))
        {
            errors["latest"] = "must be true (the newest records) or false (from the beginning, or from after)";
        }

        return errors.Count > 0 ? (null, errors) : (new EgressQuery(agent, task, decision, since, after, limit, latest), errors);
    }
}
