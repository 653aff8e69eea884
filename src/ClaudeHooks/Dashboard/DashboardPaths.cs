namespace ClaudeHooks.Dashboard;

/// <summary>Where the dashboard lives on the service's listener: <c>/</c> and everything under <c>/ui</c>.</summary>
internal static class DashboardPaths
{
    public const string Root = "/ui";
    public const string SignIn = "/ui/signin";
    public const string Shared = "/ui/shared";
    public const string Assets = "/ui/assets";

    public static bool Contains(PathString path) => path == "/" || path.StartsWithSegments(Root, StringComparison.Ordinal);

    public static string Task(string id) => $"{Root}/tasks/{Uri.EscapeDataString(id)}";

    /// <summary>A work item's page; each segment of the repository's name is escaped, so no name leaves the dashboard's paths.</summary>
    public static string WorkItem(string repo, long number) =>
        $"{Root}/work/{string.Join('/', repo.Split('/').Select(Segment))}/{number}";

    /// <summary>One path segment as data: escaped, and a dot segment spelled out so a browser does not walk up with it.</summary>
    private static string Segment(string text) => text is "." or ".." ? text.Replace(".", "%2E", StringComparison.Ordinal) : Uri.EscapeDataString(text);

    /// <summary>A return address after sign-in: only a path of this dashboard, never another site.</summary>
    public static string SafeReturn(string? value) =>
        value is { Length: > 0 and < 2048 } && value[0] == '/' && !value.StartsWith("//", StringComparison.Ordinal) && !value.Contains('\\', StringComparison.Ordinal)
            && value.All(c => c is > ' ' and < '\u007f') && !value.Split('?')[0].Split('/').Any(segment => segment is "." or ".." || segment.Contains('%', StringComparison.Ordinal))
            && Contains(new PathString(value.Split('?')[0])) && !value.StartsWith(Shared, StringComparison.Ordinal)
            ? value
            : "/";
}
