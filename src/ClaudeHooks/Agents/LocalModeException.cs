namespace ClaudeHooks.Agents;

/// <summary>Why a local agent's task cannot run on this host (no such user, no CLI), with the fix.</summary>
internal sealed class LocalModeException(string message) : Exception(message);
