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

    public static string WorkItem(string repo, long number) => $"{Root}/work/{repo}/{number}";

    /// <summary>A return address after sign-in: only a path of this dashboard, never another site.</summary>
    public static string SafeReturn(string? value) =>
        value is { Length: > 0 } && value[0] == '/' && !value.StartsWith("//", StringComparison.Ordinal) && !value.Contains('\\', StringComparison.Ordinal)
            && Contains(new PathString(value.Split('?')[0])) && !value.StartsWith(Shared, StringComparison.Ordinal)
            ? value
            : "/";
}
