namespace ClaudeHooks.Dashboard;

/// <summary>The gateway form's fields as the operator typed them, to show them again.</summary>
public sealed record GatewayFilters(string Agent, string Task, string Decision, string Since, string Limit);
