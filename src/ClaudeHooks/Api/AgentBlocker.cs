namespace ClaudeHooks.Api;

/// <summary>Why an agent cannot run a task now, and what to do about it.</summary>
internal sealed record AgentBlocker(string Reason, string Fix)
{
    /// <summary>A credential error ("file: what is wrong; what to do") as a reason and its fix.</summary>
    public static AgentBlocker FromMessage(string what, string message, string fallbackFix)
    {
        var split = message.IndexOf("; ", StringComparison.Ordinal);
        return split < 0
            ? new AgentBlocker($"{what} {message}", fallbackFix)
            : new AgentBlocker($"{what} {message[..split]}", message[(split + 2)..]);
    }
}
