namespace ClaudeHooks.Agents;

internal static class RunStatusNames
{
    /// <summary>The same names the task states use (<c>timed_out</c>).</summary>
    public static string ToName(this RunStatus status) => status == RunStatus.TimedOut ? "timed_out" : status.ToString().ToLowerInvariant();
}
