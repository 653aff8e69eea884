namespace ClaudeHooks.Containers;

internal sealed record AuditFinding(string Agent, string Check, bool Passed, string Detail);
