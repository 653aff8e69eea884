namespace ClaudeHooks.Dashboard;

/// <summary>Work items (issue → implementation → pull request → reviews → merge), the gateway's egress log and webhook deliveries.</summary>
internal static class WorkPages
{
    public static RouteGroupBuilder MapWorkPages(this RouteGroupBuilder ui) => ui;
}
