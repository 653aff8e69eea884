namespace ClaudeHooks.Gateway;

/// <summary>
/// A page of the egress log, in id order: records after <paramref name="AfterId"/> matching every filter given.
/// With <paramref name="Latest"/>, the last <paramref name="Limit"/> matching records instead of the first
/// (still in id order), for a tail that then follows with <paramref name="AfterId"/>.
/// </summary>
internal sealed record EgressQuery(string? Agent, string? TaskId, string? Decision, DateTimeOffset? Since, long? AfterId, int Limit, bool Latest = false);
