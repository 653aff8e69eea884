namespace ClaudeHooks.Api;

/// <summary>A forge write a task caused (a comment, a pull request, a label), and how far it got.</summary>
internal sealed record TaskForgeWrite(string Key, string Kind, string State, int Attempts, DateTimeOffset? NotBefore, string? LastError);
