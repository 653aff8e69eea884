namespace ClaudeHooks.Dashboard;

/// <summary>A filter value the egress log does not take, with the message <c>GET /egress</c> gives for it.</summary>
public sealed record GatewayFieldError(string Field, string Message);
