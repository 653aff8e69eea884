namespace ClaudeHooks.TestServers;

/// <summary>A turn whose response reports <see cref="OutputTokens"/> output tokens in its usage: a model run that costs a lot.</summary>
public sealed record CostlyTurn(ScriptedTurn Turn, long OutputTokens) : ScriptedTurn;
