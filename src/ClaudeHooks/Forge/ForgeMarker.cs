namespace ClaudeHooks.Forge;

/// <summary>
/// The hidden line that ends every comment and review the service posts: its intent's key, so that after a lost
/// answer or a crash the service can ask the forge whether the write already happened. Only a marker on the last
/// line of a body posted by the agent's own account counts; text quoted above it cannot pose as one.
/// </summary>
internal static class ForgeMarker
{
    public static string For(string key) => $"<!-- claude-hooks:{key} -->";

    public static string Append(string body, string key) => $"{body.TrimEnd()}\n\n{For(key)}";

    public static bool Marks(string? body, string key) =>
        body is not null && body.TrimEnd().EndsWith(For(key), StringComparison.Ordinal);
}
