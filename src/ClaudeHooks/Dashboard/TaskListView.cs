namespace ClaudeHooks.Dashboard;

/// <summary>The tasks page: the filtered, paged list and the submit form (with the values and errors of a refused submit).</summary>
public sealed record TaskListView(
    IReadOnlyList<TaskRow> Tasks,
    TaskFilter Filter,
    IReadOnlyDictionary<string, string> FilterErrors,
    string? OlderHref,
    TaskForm Form,
    IReadOnlyList<string> Agents,
    IReadOnlyList<string> Images);

public sealed record TaskFilter(string? State, string? Agent, string? Repo, string? Text);

/// <summary>The submit form's values and, after a refused submit, the API's message for each field.</summary>
public sealed record TaskForm(IReadOnlyDictionary<string, string> Values, IReadOnlyDictionary<string, string> Errors)
{
    public static TaskForm Empty { get; } = new(new Dictionary<string, string>(), new Dictionary<string, string>());

    public string Value(string field) => Values.TryGetValue(field, out var value) ? value : "";

    public string? Error(string field) => Errors.TryGetValue(field, out var error) ? error : null;
}
