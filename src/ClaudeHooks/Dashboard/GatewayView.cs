namespace ClaudeHooks.Dashboard;

/// <summary>
/// A page of the egress log in id order: the newest records unless a start (<c>since</c>) or a page (<c>after</c>)
/// is given. <paramref name="NextHref"/> continues after the last record when the page is full.
/// </summary>
public sealed record GatewayView(
    GatewayFilters Filters,
    IReadOnlyList<string> Agents,
    IReadOnlyList<GatewayFieldError> Errors,
    IReadOnlyList<GatewayRow> Rows,
    bool Latest,
    string? NextHref)
{
    /// <summary>The form's own fields; an error about any other parameter is shown above the form.</summary>
    public static readonly string[] FormFields = ["agent", "task", "decision", "since", "limit"];

    public GatewayFieldError? ErrorFor(string field) => Errors.FirstOrDefault(e => e.Field == field);

    public IEnumerable<GatewayFieldError> OtherErrors => Errors.Where(e => !FormFields.Contains(e.Field, StringComparer.Ordinal));
}
