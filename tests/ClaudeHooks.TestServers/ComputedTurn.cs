namespace ClaudeHooks.TestServers;

/// <summary>A turn made from the request's body when it arrives, e.g. a text quoting what the last tool call returned.</summary>
public sealed record ComputedTurn(Func<string, ScriptedTurn> Answer) : ScriptedTurn;
