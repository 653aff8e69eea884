namespace ClaudeHooks.Gateway;

/// <summary>A local task's loopback port on the gateway: the URL its CLI uses for the model, git and the proxy.</summary>
internal sealed record LocalListener(string SocketId, string TaskKey, string Url);
