namespace ClaudeHooks.Agents;

/// <summary>One line of Claude Code's stream-json output, typed where the runner needs the fields.</summary>
internal abstract record AgentEvent(string Type, string Raw);

/// <summary><c>system/init</c>: the session has started.</summary>
internal sealed record InitEvent(string Raw, string SessionId, string? Model, IReadOnlyList<string> Tools, string? Cwd) : AgentEvent("system/init", Raw);

/// <summary>An assistant message: its text and tool calls; <c>Error</c> is set when the CLI flags the turn (e.g. authentication_failed).</summary>
internal sealed record AssistantEvent(string Raw, string Text, IReadOnlyList<ToolUse> ToolUses, string? Error, bool FromSubagent) : AgentEvent("assistant", Raw);

internal sealed record ToolUse(string Id, string Name, string InputJson);

/// <summary>Tool results returned to the model.</summary>
internal sealed record ToolResultEvent(string Raw, IReadOnlyList<ToolResult> Results) : AgentEvent("user/tool_result", Raw);

internal sealed record ToolResult(string ToolUseId, bool IsError, string Content);

/// <summary>The final <c>result</c> line of a run.</summary>
internal sealed record ResultEvent(
    string Raw,
    string Subtype,
    bool IsError,
    int NumTurns,
    long DurationMs,
    decimal? TotalCostUsd,
    string? ResultText,
    string? SessionId,
    string? UsageJson,
    string? ModelUsageJson,
    int? ApiErrorStatus) : AgentEvent("result", Raw)
{
    /// <summary><c>success</c> with <c>is_error:true</c> is a failure too.</summary>
    public bool Succeeded => Subtype == "success" && !IsError;
}

internal sealed record ApiRetryEvent(string Raw, int Attempt, long? RetryDelayMs, string? Error, int? ErrorStatus) : AgentEvent("system/api_retry", Raw);

internal sealed record RateLimitEvent(string Raw, string? Status, string? ResetsAt) : AgentEvent("rate_limit_event", Raw);

/// <summary>Any other well-formed line; kept and persisted, never an error.</summary>
internal sealed record OtherEvent(string Raw, string RawType) : AgentEvent(RawType, Raw);

/// <summary>A line that is not JSON, too long, or cut off at the end of the stream.</summary>
internal sealed record MalformedLine(string Raw, string Reason) : AgentEvent("runner/malformed", Raw);
