using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;
using ClaudeHooks.Workdir;
using Docker.DotNet;
using Docker.DotNet.Models;
using TaskState = ClaudeHooks.Tasks.TaskState;

namespace ClaudeHooks.Agents;

/// <summary>
/// Runs Claude Code for one task inside the agent's container: prepares the worktree, resumes the thread's
/// session when it can, streams and stores every event, enforces the wall-clock and idle limits, and leaves no
/// process or temp file of the task behind.
/// </summary>
internal sealed partial class AgentRunner(
    DockerClient docker,
    AgentsConfig config,
    ClaudeHooksPaths paths,
    ITaskStore store,
    TaskEventBus events,
    ILogger<AgentRunner> logger)
{
    private const int StderrEventLimit = 500;

    /// <summary>Replaces the <c>claude</c> command line (tests use it to feed the runner arbitrary output).</summary>
    internal IReadOnlyList<string>? CommandOverride { get; init; }

    /// <summary>How long each stop step waits: stdin closed → SIGTERM → SIGKILL.</summary>
    internal TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    public async Task<RunOutcome> RunAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        var agent = config.Find(task.Agent) ?? throw new ConfigException([$"{config.FilePath}: no agent named \"{task.Agent}\""]);
        var repository = RepositoryUrl.Parse(task.Repo, config.Workdir.AllowLocalRepos);
        var container = ResourceNames.Container(config.ContainerPrefix, agent.Name);
        var exec = new AgentExec(docker);
        var environment = new AgentCredentials(config, paths).RunEnvironment(agent);

        var worktree = await new WorktreeManager(exec).PrepareAsync(container, agent.Container.User, repository, agent.Name, task.Thread, task.BaseRef, environment, cancellationToken);
        await PublishAsync(task.Id, "runner/worktree", new { path = worktree.Path, branch = worktree.Branch, created = worktree.Created });

        var (sessionId, resume) = await ChooseSessionAsync(task, agent, repository, worktree, exec, container, cancellationToken);
        var systemPrompt = File.Exists(agent.Runner.PromptFile) ? await File.ReadAllTextAsync(agent.Runner.PromptFile, cancellationToken) : null;
        var attempt = await RunOnceAsync(task, agent, container, worktree, environment, sessionId, resume, systemPrompt, cancellationToken);
        if (resume && !attempt.SawInit && attempt.Outcome.Status == TaskState.Failed)
        {
            var fresh = Guid.NewGuid().ToString();
            await store.AddHistoryNoteAsync(task.Id, $"resuming session {sessionId} failed ({attempt.Outcome.Reason}); starting a fresh session {fresh}", CancellationToken.None);
            attempt = await RunOnceAsync(task, agent, container, worktree, environment, fresh, resume: false, systemPrompt, cancellationToken);
        }

        var outcome = attempt.Outcome with { Worktree = worktree.Path, Branch = worktree.Branch };
        if (attempt.SawInit && outcome.SessionId is { } started)
        {
            await store.SaveSessionAsync(new SessionRecord(agent.Name, repository.Key, task.Thread, started, worktree.Path), CancellationToken.None);
        }

        await PublishAsync(task.Id, "runner/outcome", outcome);
        return outcome;
    }

    private async Task<(string SessionId, bool Resume)> ChooseSessionAsync(
        TaskRecord task, AgentConfig agent, RepositoryUrl repository, Worktree worktree, AgentExec exec, string container, CancellationToken cancellationToken)
    {
        var session = await store.GetSessionAsync(agent.Name, repository.Key, task.Thread, cancellationToken);
        if (session is null)
        {
            return (Guid.NewGuid().ToString(), false);
        }

        // Claude Code finds a transcript by the directory the session started in, so resume only from that path.
        string? why = null;
        if (session.Worktree != worktree.Path)
        {
            why = $"it started in {session.Worktree}, not {worktree.Path}";
        }
        else
        {
            var transcript = await exec.RunAsync(
                container,
                ["sh", "-c", "find \"$CLAUDE_CONFIG_DIR/projects\" -maxdepth 2 -name \"$1.jsonl\" 2>/dev/null | grep -q .", "probe", session.SessionId],
                [$"CLAUDE_CONFIG_DIR={ResourceNames.ClaudeConfigDir}"],
                agent.Container.User,
                cancellationToken: cancellationToken);
            why = transcript.Succeeded ? null : "its transcript is gone from the state volume";
        }

        if (why is null)
        {
            await store.AddHistoryNoteAsync(task.Id, $"resuming session {session.SessionId} of thread {task.Thread}", cancellationToken);
            return (session.SessionId, true);
        }

        var fresh = Guid.NewGuid().ToString();
        await store.AddHistoryNoteAsync(task.Id, $"session {session.SessionId} cannot be resumed ({why}); starting a fresh session {fresh}", cancellationToken);
        return (fresh, false);
    }

    private async Task<Attempt> RunOnceAsync(
        TaskRecord task,
        AgentConfig agent,
        string container,
        Worktree worktree,
        IReadOnlyList<string> environment,
        string sessionId,
        bool resume,
        string? systemPrompt,
        CancellationToken cancellationToken)
    {
        var settings = agent.Runner;
        var taskKey = TaskKey(task.Id);
        var arguments = CommandOverride ?? ClaudeCommandLine.Build(settings, sessionId, resume, systemPrompt);
        await PublishAsync(task.Id, "runner/start", new { session_id = sessionId, resume, cwd = worktree.Path, argv = arguments.Select(a => a.StartsWith("--append-system-prompt=", StringComparison.Ordinal) ? "--append-system-prompt=…" : a) });

        var created = await docker.Exec.ExecCreateContainerAsync(container, new ContainerExecCreateParameters
        {
            Cmd = ["/usr/local/bin/agent-task", "run", taskKey, "--", .. arguments],
            Env = [.. environment],
            User = agent.Container.User,
            WorkingDir = worktree.Path,
            AttachStdin = true,
            AttachStdout = true,
            AttachStderr = true,
            Tty = false,
        }, cancellationToken);

        var state = new RunState(Stopwatch.GetTimestamp());
        using var stopping = new CancellationTokenSource();
        using var stream = await docker.Exec.StartAndAttachContainerExecAsync(created.ID, tty: false, CancellationToken.None);
        var prompt = Encoding.UTF8.GetBytes(task.Prompt);
        await stream.WriteAsync(prompt, 0, prompt.Length, cancellationToken);
        stream.CloseWrite();

        var stdout = new Pipe();
        var pump = PumpAsync(stream, stdout.Writer, task.Id, state);
        var consume = ConsumeAsync(stdout.Reader, task.Id, state);
        var watchdog = WatchAsync(task, taskKey, container, agent, state, pump, cancellationToken, stopping.Token);

        await Task.WhenAll(pump, consume);
        await stopping.CancelAsync();
        await watchdog;

        var inspect = await docker.Exec.InspectContainerExecAsync(created.ID, CancellationToken.None);
        var cleanup = await new AgentExec(docker).RunAsync(container, ["/usr/local/bin/agent-task", "cleanup", taskKey], user: agent.Container.User, cancellationToken: CancellationToken.None);
        var leftover = int.TryParse(cleanup.Stdout.Trim(), CultureInfo.InvariantCulture, out var count) ? count : -1;
        if (leftover != 0)
        {
            LogLeftover(task.Id, leftover);
        }

        var outcome = Judge(task, agent, state, inspect.ExitCode, sessionId, resume, leftover);
        return new Attempt(outcome, state.Init is not null);
    }

    /// <summary>Splits the exec's multiplexed output: stdout to the NDJSON reader, stderr to stored events.</summary>
    private async Task PumpAsync(MultiplexedStream stream, PipeWriter stdout, string taskId, RunState state)
    {
        var buffer = new byte[81920];
        var stderrLine = new StringBuilder();
        try
        {
            while (true)
            {
                var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, CancellationToken.None);
                if (read.EOF)
                {
                    break;
                }

                state.Touch();
                if (read.Target == MultiplexedStream.TargetStream.StandardOut)
                {
                    await stdout.WriteAsync(buffer.AsMemory(0, read.Count));
                    continue;
                }

                stderrLine.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                await FlushStderrAsync(taskId, state, stderrLine, final: false);
            }

            await FlushStderrAsync(taskId, state, stderrLine, final: true);
        }
        finally
        {
            await stdout.CompleteAsync();
        }
    }

    private async Task FlushStderrAsync(string taskId, RunState state, StringBuilder pending, bool final)
    {
        var text = pending.ToString();
        var cut = final ? text.Length : text.LastIndexOf('\n') + 1;
        if (cut <= 0)
        {
            return;
        }

        pending.Remove(0, cut);
        foreach (var line in text[..cut].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            state.AddStderr(line);
            if (state.StderrLines <= StderrEventLimit)
            {
                await PublishAsync(taskId, "runner/stderr", new { line });
            }
        }
    }

    private async Task ConsumeAsync(PipeReader stdout, string taskId, RunState state)
    {
        await using var input = stdout.AsStream();
        await foreach (var agentEvent in StreamJsonReader.ReadAsync(input, CancellationToken.None))
        {
            state.Touch();
            switch (agentEvent)
            {
                case InitEvent init:
                    state.Init = init;
                    break;
                case ResultEvent result:
                    state.Result = result;
                    break;
                case AssistantEvent { Error: { } error }:
                    state.AssistantError = error;
                    break;
                case MalformedLine malformed:
                    state.Malformed.Add(malformed);
                    break;
                case ApiRetryEvent { ErrorStatus: 401 or 403 } or ApiRetryEvent { Error: "authentication_failed" }:
                    // The CLI retries a rejected credential for minutes; it cannot start working within this run.
                    state.RequestStop(StopReason.Authentication);
                    break;
            }

            if (agentEvent is MalformedLine bad)
            {
                await PublishAsync(taskId, bad.Type, new { reason = bad.Reason, line = bad.Raw });
            }
            else
            {
                await events.PublishAsync(taskId, agentEvent.Type, agentEvent.Raw, CancellationToken.None);
            }
        }
    }

    /// <summary>Trips the wall-clock and idle limits and cancellation, then stops the task's processes in steps.</summary>
    private async Task WatchAsync(TaskRecord task, string taskKey, string container, AgentConfig agent, RunState state, Task pump, CancellationToken cancelled, CancellationToken finished)
    {
        var settings = agent.Runner;
        var timeout = WallClockLimit(task, agent);
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(settings.IdleTimeout.TotalMilliseconds / 20, 50, 1000));
        while (!finished.IsCancellationRequested)
        {
            if (cancelled.IsCancellationRequested)
            {
                state.RequestStop(StopReason.Cancelled);
            }
            else if (state.Elapsed > timeout)
            {
                state.RequestStop(StopReason.WallClock);
            }
            else if (state.SinceOutput > settings.IdleTimeout)
            {
                state.RequestStop(StopReason.Idle);
            }

            if (state.Stop is not StopReason.None)
            {
                break;
            }

            try
            {
                await Task.Delay(tick, finished);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (finished.IsCancellationRequested)
        {
            return;
        }

        await PublishAsync(task.Id, "runner/stopping", new { reason = state.Stop.ToString() });
        var exec = new AgentExec(docker);

        // stdin is already closed; give the process the grace period, then SIGTERM, then SIGKILL, to the whole tree.
        foreach (var signal in new[] { (string?)null, "TERM", "KILL" })
        {
            if (signal is not null)
            {
                await exec.RunAsync(container, ["/usr/local/bin/agent-task", "signal", taskKey, signal], user: agent.Container.User, cancellationToken: CancellationToken.None);
            }

            if (await Task.WhenAny(pump, Task.Delay(StopGrace, CancellationToken.None)) == pump)
            {
                return;
            }
        }
    }

    /// <summary>The task's own timeout when it set one (never above the agent's), else the agent's.</summary>
    private static TimeSpan WallClockLimit(TaskRecord task, AgentConfig agent) =>
        task.Timeout is { } own && own < agent.Runner.Timeout ? own : agent.Runner.Timeout;

    private RunOutcome Judge(TaskRecord task, AgentConfig agent, RunState state, long exitCode, string sessionId, bool resume, int leftover)
    {
        var result = state.Result;
        var (status, reason) = state.Stop switch
        {
            StopReason.Cancelled => (TaskState.Cancelled, "cancelled while running"),
            StopReason.WallClock => (TaskState.TimedOut, task.Timeout is { } own && own < agent.Runner.Timeout
                ? $"ran longer than the task's {Duration.Format(own)} timeout"
                : $"ran longer than the {Duration.Format(agent.Runner.Timeout)} limit (agents.{agent.Name}.runner.timeout)"),
            StopReason.Idle => (TaskState.TimedOut, $"no output for {Duration.Format(agent.Runner.IdleTimeout)} (agents.{agent.Name}.runner.idle_timeout); the model or a tool hung"),
            StopReason.Authentication => (TaskState.Failed, AuthenticationMessage(agent)),
            _ when IsAuthenticationFailure(state) => (TaskState.Failed, AuthenticationMessage(agent)),
            _ when result is { Succeeded: true } => (TaskState.Succeeded, $"completed in {result.NumTurns} turn(s)"),
            _ when result is not null => (TaskState.Failed, ResultFailure(agent, result)),
            _ when state.Malformed.Count > 0 => (TaskState.Failed,
                $"Claude Code's output was not valid stream-json ({state.Malformed.Count} bad line(s); first: {state.Malformed[0].Reason}: \"{state.Malformed[0].Raw}\"); exit code {exitCode}{StderrNote(state)}"),
            _ => (TaskState.Failed, $"Claude Code exited with code {exitCode} without reporting a result{StderrNote(state)}"),
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
            leftover);
    }

    private static bool IsAuthenticationFailure(RunState state) =>
        state.Result?.ApiErrorStatus is 401 or 403
        || state.AssistantError is "authentication_failed"
        || (state.Result is { Succeeded: false, ResultText: { } text } && (text.Contains("authentication_error", StringComparison.OrdinalIgnoreCase) || text.Contains("401", StringComparison.Ordinal)))
        || (state.Result is null && state.Stderr.Contains("401", StringComparison.Ordinal));

    private string AuthenticationMessage(AgentConfig agent)
    {
        var endpoint = config.Model.BaseUrl?.ToString() ?? "the Anthropic API";
        var fix = agent.ClaudeAuth.Kind switch
        {
            ClaudeAuthKind.OAuthTokenFile => $"write a valid token from 'claude setup-token' to {agent.ClaudeAuth.Path}",
            ClaudeAuthKind.ApiKeyFile => $"write a valid API key to {agent.ClaudeAuth.Path}",
            _ => $"refresh {Path.Combine(agent.ClaudeAuth.Path, ".credentials.json")} with 'claude login'",
        };
        return $"authentication failed for agent {agent.Name}: {endpoint} rejected its credentials (HTTP 401). Fix: {fix}, or check model.base_url";
    }

    private static string ResultFailure(AgentConfig agent, ResultEvent result) => result.Subtype switch
    {
        "error_max_turns" => $"stopped at the turn limit ({agent.Runner.MaxTurns}, agents.{agent.Name}.runner.max_turns) after {result.NumTurns} turn(s)",
        "error_max_budget_usd" => $"stopped at the budget cap ({agent.Runner.MaxBudgetUsd} USD, agents.{agent.Name}.runner.max_budget_usd)",
        _ => $"Claude Code reported {result.Subtype}{(result.IsError ? " with is_error" : "")}{(result.ApiErrorStatus is { } status ? $" (model endpoint HTTP {status})" : "")}: {Shorten(result.ResultText)}",
    };

    private static string StderrNote(RunState state) => state.Stderr.Length == 0 ? "" : $"; stderr: {Shorten(state.Stderr)}";

    private static string Shorten(string? text)
    {
        var flat = (text ?? "").ReplaceLineEndings(" ").Trim();
        return flat.Length <= 300 ? flat : flat[..300] + "…";
    }

    private async Task PublishAsync<T>(string taskId, string type, T payload) =>
        await events.PublishAsync(taskId, type, JsonSerializer.Serialize(payload, OutcomeJson.Options), CancellationToken.None);

    /// <summary>The id agent-task knows the task by (letters, digits, '-' and '_').</summary>
    internal static string TaskKey(string taskId) => new(taskId.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').ToArray());

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: {Count} process(es) of the task were still alive after cleanup")]
    private partial void LogLeftover(string taskId, int count);

    private sealed record Attempt(RunOutcome Outcome, bool SawInit);

    private enum StopReason
    {
        None,
        Cancelled,
        WallClock,
        Idle,
        Authentication,
    }

    private sealed class RunState(long started)
    {
        private readonly StringBuilder _stderr = new();
        private readonly long _started = started;
        private long _lastOutput = started;

        public InitEvent? Init { get; set; }

        public ResultEvent? Result { get; set; }

        public string? AssistantError { get; set; }

        public List<MalformedLine> Malformed { get; } = [];

        private int _stop;

        public StopReason Stop => (StopReason)Volatile.Read(ref _stop);

        /// <summary>The first reason wins.</summary>
        public void RequestStop(StopReason reason) => Interlocked.CompareExchange(ref _stop, (int)reason, (int)StopReason.None);

        public int StderrLines { get; private set; }

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

        public TimeSpan SinceOutput => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastOutput));

        public void Touch() => Interlocked.Exchange(ref _lastOutput, Stopwatch.GetTimestamp());

        public void AddStderr(string line)
        {
            lock (_stderr)
            {
                StderrLines++;
                if (_stderr.Length < 16 * 1024)
                {
                    _stderr.AppendLine(line);
                }
            }
        }
    }
}
