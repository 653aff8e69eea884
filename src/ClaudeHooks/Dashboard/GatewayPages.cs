using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Gateway;
using ClaudeHooks.Security;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Primitives;

namespace ClaudeHooks.Dashboard;

/// <summary>The gateway page: the egress log with the filters and messages of <c>GET /egress</c>.</summary>
internal static class GatewayPages
{
    public const string Path = "/ui/gateway";

    public static async Task<IResult> PageAsync(HttpContext context, AgentsConfig config, EgressLog log, SecretRedactor redactor, TimeProvider clock)
    {
        var view = await BuildAsync(context.Request.Query, config.Agents.Select(a => a.Name).ToList(), log.QueryAsync, redactor, clock.GetUtcNow(), context.RequestAborted);
        return DashboardPage.Render<Pages.GatewayPage>(context, "gateway", new Dictionary<string, object?> { ["View"] = view },
            view.Errors.Count > 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
    }

    internal static async Task<GatewayView> BuildAsync(
        IQueryCollection parameters,
        IReadOnlyList<string> agents,
        Func<EgressQuery, CancellationToken, Task<IReadOnlyList<EgressRecord>>> query,
        SecretRedactor redactor,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var given = Given(parameters);
        string Field(string name) => parameters.TryGetValue(name, out var values) ? values.ToString() : "";
        var filters = new GatewayFilters(Field("agent"), Field("task"), Field("decision"), Field("since"), Field("limit"));
        var known = agents.Contains(filters.Agent, StringComparer.Ordinal) || filters.Agent.Length == 0 ? agents : [.. agents, filters.Agent];

        // Without a start or a page, the newest records: what an operator opening the page wants to see.
        var latest = !given.ContainsKey("since") && !given.ContainsKey("after") && !given.ContainsKey("latest");
        if (latest)
        {
            given["latest"] = "true";
        }

        var (egress, errors) = EgressApi.Parse(new QueryCollection(given), now);
        if (egress is null)
        {
            return new GatewayView(filters, known, errors.Select(e => new GatewayFieldError(e.Key, e.Value)).OrderBy(e => e.Field, StringComparer.Ordinal).ToList(), [], latest, null);
        }

        var records = await query(egress, cancellationToken);
        var rows = records.Select(r => new GatewayRow(
            r.Id, r.Time, r.TaskId is null ? null : Redact(redactor, r.TaskId), Redact(redactor, r.Agent), r.Route, Redact(redactor, r.Method), Redact(redactor, r.Host),
            Redact(redactor, r.Path), r.Status, r.Decision, Redact(redactor, r.Rule), r.BytesOut, r.BytesIn, r.DurationMs)).ToList();
        return new GatewayView(filters, known, [], rows, egress.Latest, !egress.Latest && records.Count == egress.Limit ? Next(egress, records[^1].Id) : null);
    }

    /// <summary>
    /// The parameters with a value: a form sends its blank fields too, which mean "any" here. A field given more
    /// than once is left as it came, for the parser to say so.
    /// </summary>
    private static Dictionary<string, StringValues> Given(IQueryCollection parameters)
    {
        var given = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var (key, values) in parameters)
        {
            if (values.Count > 1 || !string.IsNullOrWhiteSpace(values.ToString()))
            {
                given[key] = values;
            }
        }

        return given;
    }

    /// <summary>The next page: the same filters, <c>since</c> as the instant it meant (a duration would move on), after the last record.</summary>
    private static string Next(EgressQuery query, long lastId)
    {
        var next = new QueryBuilder();
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                next.Add(name, value);
            }
        }

        Add("agent", query.Agent);
        Add("task", query.TaskId);
        Add("decision", query.Decision);
        Add("since", query.Since is { } since ? Format.IsoTime(since) : null);
        Add("limit", query.Limit == EgressApi.DefaultLimit ? null : query.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("after", lastId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Path + next.ToQueryString();
    }

    private static string Redact(SecretRedactor redactor, string text) => redactor.Redact(text).Text;
}
