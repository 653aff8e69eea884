using System.ComponentModel;

namespace ClaudeHooks.Api;

/// <summary>A page of tasks, newest first.</summary>
internal sealed record TaskList(
    IReadOnlyList<TaskListItem> Tasks,
    [property: Description("The cursor of the next page (pass it as cursor=); null once a page comes back short.")] string? Next,
    [property: Description("Older paging: the created_at to pass as before= (tasks created in the same instant can be skipped; prefer next).")] string? NextBefore);
