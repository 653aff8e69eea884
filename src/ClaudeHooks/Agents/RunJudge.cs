using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Agents;

/// <summary>What a run of the CLI came to, from what it printed and how it ended, with a reason a person can act on.</summary>
internal sealed class RunJudge(AgentsConfig config, Gateway.HostGateway gateway)
{
    public RunOutcome Judge(TaskRecord task, AgentConfig agent, RunState state, long exitCode, string sessionId, bool resume)
    {
        var result = state.Result;
        var (status, reason) = state.Stop switch
        {
            StopReason.Cancelled => (RunStatus.Cancelled, "cancelled while running"),
            StopReason.WallClock => (RunStatus.TimedOut, task.Timeout is { } own && own < agent.Runner.Timeout
                ? $"ran longer than the task's {Duration.Format(own)} timeout"
                : $"ran longer than the {Duration.Format(agent.Runner.Timeout)} limit ({LimitKey(task, agent, "runner.timeout", r => r.Timeout)})"),
            StopReason.Idle => (RunStatus.TimedOut, $"no output for {Duration.Format(agent.Runner.IdleTimeout)} ({IdleKey(task, agent)}); the model or a tool hung"),
            StopReason.Authentication => (RunStatus.Failed, AuthenticationMessage(agent, task)),
            _ when IsAuthenticationFailure(state) => (RunStatus.Failed, AuthenticationMessage(agent, task)),
            _ when result is { Succeeded: true } => (RunStatus.Succeeded, $"completed in {result.NumTurns} turn(s)"),
            _ when result is not null => (RunStatus.Failed, ResultFailure(task, agent, result)),
            _ when exitCode == SandboxCheckout.CheckoutFailedExitCode && state.Init is null && state.Stderr.Contains(SandboxCheckout.CheckoutFailedMarker, StringComparison.Ordinal) =>
                (RunStatus.Failed, $"making the checkout {task.Thread} from the cache failed before Claude Code started: {Shorten(state.Stderr[(state.Stderr.IndexOf(SandboxCheckout.CheckoutFailedMarker, StringComparison.Ordinal) + SandboxCheckout.CheckoutFailedMarker.Length)..])}"),
            _ when state.Malformed.Count > 0 => (RunStatus.Failed,
                $"Claude Code's output was not valid stream-json ({state.MalformedLines} bad line(s); first: {state.Malformed[0].Reason}: \"{state.Malformed[0].Raw}\"); exit code {exitCode}{StderrNote(state)}"),
            _ => (RunStatus.Failed, $"Claude Code exited with code {exitCode} without reporting a result{StderrNote(state)}"),
        };

        return new RunOutcome(
            status,
            reason,
            state.Init?.SessionId ?? result?.SessionId ?? (state.Init is null ? null : sessionId),
            resume,
            result?.NumTurns ?? 0,
            result?.TotalCostUsd,
            result?.DurationMs ?? (long)state.Elapsed.TotalMilliseconds,
            result?.UsageJson,
            result?.ModelUsageJson,
            result?.ResultText,
            Worktree: null,
            Branch: null,
            exitCode,
            LeftoverProcesses: 0);
    }

    /// <summary>A failure decided before Claude Code started: nothing ran, so there is no session, cost or exit code.</summary>
    public static RunOutcome Refused(string reason, RunStatus status = RunStatus.Failed) =>
        new(status, reason, null, false, 0, null, 0, null, null, null, null, null, null, 0);

    /// <summary>The task's own timeout when it set one (never above the agent's), else the agent's.</summary>
    public static TimeSpan WallClockLimit(TaskRecord task, AgentConfig agent) =>
        task.Timeout is { } own && own < agent.Runner.Timeout ? own : agent.Runner.Timeout;

    public static string Shorten(string? text)
    {
        var flat = (text ?? "").ReplaceLineEndings(" ").Trim();
        return flat.Length <= 300 ? flat : flat[..300] + "…";
    }

    private static bool IsAuthenticationFailure(RunState state) =>
        state.Result?.ApiErrorStatus is 401 or 403
        || state.AssistantError is "authentication_failed"
        || (state.Result is { Succeeded: false, ResultText: { } text } && (text.Contains("authentication_error", StringComparison.OrdinalIgnoreCase) || text.Contains("401", StringComparison.Ordinal)))
        || (state.Result is null && state.Stderr.Contains("401", StringComparison.Ordinal));

    private string AuthenticationMessage(AgentConfig agent, TaskRecord task)
    {
        if (gateway.CredentialProblem(ResourceNames.TaskKey(task.Id)) is { } problem)
        {
            return $"authentication failed for agent {agent.Name}: the gateway could not use its model credential: {problem}";
        }

        var endpoint = config.Model.BaseUrl?.ToString() ?? "the Anthropic API";
        var fix = agent.ClaudeAuth.Kind switch
        {
            ClaudeAuthKind.OAuthTokenFile => $"write a valid token from 'claude setup-token' to {agent.ClaudeAuth.Path}",
            ClaudeAuthKind.ApiKeyFile => $"write a valid API key to {agent.ClaudeAuth.Path}",
            _ => $"refresh {Path.Combine(agent.ClaudeAuth.Path, ".credentials.json")} with 'claude login'",
        };
        return $"authentication failed for agent {agent.Name}: {endpoint} rejected its credentials (HTTP 401). Fix: {fix}, or check model.base_url";
    }

    private string ResultFailure(TaskRecord task, AgentConfig agent, ResultEvent result) => result.Subtype switch
    {
        "error_max_turns" => $"stopped at the turn limit ({agent.Runner.MaxTurns}, {LimitKey(task, agent, "runner.max_turns", r => r.MaxTurns)}) after {result.NumTurns} turn(s)",
        "error_max_budget_usd" => $"stopped at the budget cap ({agent.Runner.MaxBudgetUsd} USD, {LimitKey(task, agent, "runner.max_budget_usd", r => r.MaxBudgetUsd)})",
        _ => $"Claude Code reported {result.Subtype}{(result.IsError ? " with is_error" : "")}{(result.ApiErrorStatus is { } status ? $" (model endpoint HTTP {status})" : "")}: {Shorten(result.ResultText)}",
    };

    /// <summary>
    /// The task's repositories entry when it lowered this runner limit below the agent's own: <paramref name="agent"/>
    /// carries the limits the task ran under, the config the agent's own.
    /// </summary>
    private RepositorySettings? LoweredBy(TaskRecord task, AgentConfig agent, Func<RunnerSettings, object?> limit) =>
        config.Find(agent.Name) is { } own && !Equals(limit(own.Runner), limit(agent.Runner))
            ? config.RepositoryFor(RepositoryUrl.Parse(task.Repo, config.Workdir.AllowLocalRepos))
            : null;

    /// <summary>The key an operator changes to move a limit the task hit: the repository entry's when it set the limit, else the agent's.</summary>
    private string LimitKey(TaskRecord task, AgentConfig agent, string setting, Func<RunnerSettings, object?> limit) =>
        LoweredBy(task, agent, limit)?.KeyPath(setting) ?? $"agents.{agent.Name}.{setting}";

    /// <summary>A repository's idle limit is its <c>runner.idle_timeout</c>, or its <c>runner.timeout</c> when that is lower.</summary>
    private string IdleKey(TaskRecord task, AgentConfig agent) => LoweredBy(task, agent, r => r.IdleTimeout) is { } repository
        ? repository.KeyPath(repository.Runner.IdleTimeout == agent.Runner.IdleTimeout ? "runner.idle_timeout" : "runner.timeout")
        : $"agents.{agent.Name}.runner.idle_timeout";

    private static string StderrNote(RunState state) => state.Stderr.Length == 0 ? "" : $"; stderr: {Shorten(state.Stderr)}";
}
