using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;
using ClaudeHooks.Workdir;
using Docker.DotNet;

namespace ClaudeHooks.Agents;

/// <summary>
/// Runs Claude Code for one task in a sandbox of its own: fetches the repository into the agent's cache (trusted
/// git in the agent's container), clones the thread's branch into the sandbox, restores the thread's transcript
/// when the session resumes, streams and stores every event, enforces the wall-clock and idle limits, then saves
/// the transcript, pushes the task's commits from the cache and removes the sandbox with everything in it.
/// </summary>
internal sealed partial class AgentRunner(
    ContainerRuntime runtime,
    SandboxManager sandboxes,
    Gateway.HostGateway gateway,
    AgentsConfig config,
    ClaudeHooksPaths paths,
    ITaskStore store,
    TaskEventBus events,
    ILogger<AgentRunner> logger,
    LocalRunner? local = null) : ITaskPerformer
{
    /// <summary>Replaces the <c>claude</c> command line (tests use it to feed the runner arbitrary output).</summary>
    internal IReadOnlyList<string>? CommandOverride { get; init; }

    /// <summary>How long each stop step waits: stdin closed → SIGTERM → removal of the sandbox.</summary>
    internal TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    public string Kind => TaskPerformers.Agent;

    /// <summary>
    /// The run, or an interruption when the agent's own container (which fetches and pushes for the task) was
    /// rebuilt or removed while it ran: the task is not at fault, so it is queued again instead of failing.
    /// </summary>
    public async Task<RunOutcome> PerformAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        if (config.Find(task.Agent) is { IsLocal: true })
        {
            return await RunLocalAsync(task, cancellationToken);
        }

        var container = ResourceNames.Container(config.ContainerPrefix, task.Agent);
        var before = (await runtime.InspectAsync(container, cancellationToken))?.ID;
        var started = DateTimeOffset.UtcNow;
        RunOutcome outcome;
        try
        {
            outcome = await RunAsync(task, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            if (await ReplacedAsync(container, before) is { } how)
            {
                return new RunOutcome(RunStatus.Interrupted, $"{how} while the task ran ({e.Message})", null, false, 0, null, (long)(DateTimeOffset.UtcNow - started).TotalMilliseconds,
                    null, null, null, null, null, null, 0);
            }

            throw;
        }

        return outcome.Status != RunStatus.Succeeded && await ReplacedAsync(container, before) is { } replaced
            ? outcome with { Status = RunStatus.Interrupted, Reason = $"{replaced} while the task ran ({outcome.Reason})" }
            : outcome;
    }

    /// <summary>How the agent's container changed since <paramref name="before"/>, or null when it is the same one.</summary>
    private async Task<string?> ReplacedAsync(string container, string? before)
    {
        var now = await runtime.InspectAsync(container, CancellationToken.None);
        return before is null || now?.ID == before ? null
            : now is null ? $"the agent's container {container} was removed"
            : $"the agent's container {container} was rebuilt";
    }

    public async Task<RunOutcome> RunAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        if (config.Find(task.Agent) is { IsLocal: true })
        {
            return await RunLocalAsync(task, cancellationToken);
        }

        var configured = config.Find(task.Agent) ?? throw new ConfigException([$"{config.FilePath}: no agent named \"{task.Agent}\""]);
        var repository = RepositoryUrl.Parse(task.Repo, config.Workdir.AllowLocalRepos);

        // What the task runs in is decided before anything is made for it: an image that is not built, or a request
        // the config does not allow, fails the task here with the fix.
        TaskProfile profile;
        try
        {
            profile = TaskProfile.Resolve(config, configured, repository, task.Image);
        }
        catch (TaskProfileException e)
        {
            return RunJudge.Refused(e.Message);
        }

        await PublishAsync(task.Id, "runner/image", new
        {
            image = profile.Image,
            chosen_by = profile.ChosenBy.Level,
            source = profile.ChosenBy.Source,
            repository = profile.Repository?.Key,
            runtime = profile.Container.Runtime ?? "default",
        });
        if (await MissingImageAsync(profile, cancellationToken) is { } missing)
        {
            return RunJudge.Refused(missing);
        }

        // The agent as this task sees it: the repository's runtime and tighter limits applied.
        var agent = configured with { Runner = profile.Runner, Container = profile.Container };
        var container = ResourceNames.Container(config.ContainerPrefix, agent.Name);
        var branch = GitNames.Branch(agent.Name, task.Thread);
        var checkout = repository.CheckoutPath(task.Thread);
        var taskKey = ResourceNames.TaskKey(task.Id);
        var runEnvironment = AgentCredentials.RunEnvironment(agent);
        var maintenance = AgentCredentials.MaintenanceEnvironment(agent, taskKey, gateway.MaintenanceSocket);
        var cache = CacheNames.Load(paths).PathFor(agent.Name, repository);

        // From here the gateway acts for the task: for the service's git in the agent's container, and for the
        // sandbox once it is attached. The cache fetch and the sandbox (warm or new) do not depend on each other.
        gateway.BindTask(task.Id, agent, repository, task.Thread);
        var preparing = new RepositoryCache(runtime).PrepareAsync(container, agent, cache, repository, branch, task.BaseRef, task.GuidanceRef, taskKey, maintenance, cancellationToken, task.BaseCommit);
        Sandbox sandbox;
        try
        {
            sandbox = await sandboxes.AcquireAsync(configured, task.Id, cancellationToken, profile);
            gateway.AttachSandbox(sandbox.SocketId, agent.Name, taskKey);
        }
        catch
        {
            await Task.WhenAny(preparing);
            gateway.UnbindTask(taskKey);
            throw;
        }

        RunOutcome outcome;
        var end = new SandboxEnd(0, 0);
        var leftBehind = 0;
        try
        {
            await PublishAsync(task.Id, "runner/sandbox", new { name = sandbox.Name, warm = sandbox.Warm, create_ms = (long)sandbox.CreateTime.TotalMilliseconds });
            var session = await ChooseSessionAsync(task, agent, repository, checkout, sandbox, cancellationToken);
            var cached = await preparing;
            await PublishAsync(task.Id, "runner/checkout", new { path = checkout, branch, start = cached.StartCommit, branch_existed = cached.BranchExists, guidance = cached.GuidanceRef });

            var systemPrompt = await SystemPromptAsync(agent, cached, profile.Repository, cancellationToken);
            var launch = new Launch(cache, checkout, branch, cached.StartCommit, Gateway.HostGateway.LocalUrl + repository.GatewayPath);
            var setupStarted = Stopwatch.GetTimestamp();
            var setupFailed = profile.Repository is { Setup: { } setup } settings
                ? await SetupAsync(task, agent, settings, setup, sandbox, launch, runEnvironment, cancellationToken)
                : null;
            if (setupFailed is not null)
            {
                outcome = setupFailed with { Worktree = checkout, Branch = branch };
                leftBehind = await StopEverythingAsync(sandbox, agent);
            }
            else
            {
                if (profile.Repository?.Setup is not null)
                {
                    // Nothing the setup started (a package's install script left running) lives on beside the agent,
                    // and the setup's time counts against the task's wall-clock limit.
                    leftBehind = await StopEverythingAsync(sandbox, agent);
                    var remaining = RunJudge.WallClockLimit(task, agent) - Stopwatch.GetElapsedTime(setupStarted);
                    task = task with { Timeout = remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1) };
                }

                var attempt = await RunOnceAsync(task, agent, sandbox, launch, runEnvironment, session.Id, session.Resume, systemPrompt, cancellationToken);
                if (session.Resume && !attempt.SawInit && attempt.Outcome.Status == RunStatus.Failed && attempt.Outcome.ExitCode != SandboxCheckout.CheckoutFailedExitCode)
                {
                    var fresh = Guid.NewGuid().ToString();
                    await store.AddHistoryNoteAsync(task.Id, $"resuming session {session.Id} failed ({attempt.Outcome.Reason}); starting a fresh session {fresh}", CancellationToken.None);
                    attempt = await RunOnceAsync(task, agent, sandbox, launch, runEnvironment, fresh, resume: false, systemPrompt, cancellationToken);
                }

                outcome = attempt.Outcome with { Worktree = checkout, Branch = branch };

                // Nothing of the task may run while its commits and transcript are read back, and reading them has a
                // deadline of its own: whatever the task left in its checkout cannot hold the service up.
                leftBehind = await StopEverythingAsync(sandbox, agent);
                using var finishing = new CancellationTokenSource(FinishLimit);
                if (attempt.SawInit && outcome.SessionId is { } started)
                {
                    await SaveSessionAsync(task, agent, repository, sandbox, checkout, started, attempt.ExpectedSession, finishing.Token);
                }

                outcome = await PublishCommitsAsync(task, agent, repository, container, cache, sandbox, checkout, branch, cached.StartCommit, runEnvironment, maintenance, outcome, finishing.Token);
            }
        }
        finally
        {
            end = await sandboxes.ReleaseAsync(sandbox);
            gateway.UnbindTask(taskKey);
            sandboxes.Refill(configured);
            if (leftBehind + end.KilledProcesses > 0 || end.LeftoverProcesses > 0)
            {
                LogLeftover(task.Id, leftBehind + end.KilledProcesses, end.LeftoverProcesses);
            }

            await PublishAsync(task.Id, "runner/sandbox-removed", new { name = sandbox.Name, killed_processes = leftBehind + end.KilledProcesses, leftover_processes = end.LeftoverProcesses });
        }

        outcome = outcome with { LeftoverProcesses = end.LeftoverProcesses, KilledProcesses = leftBehind + end.KilledProcesses };
        await PublishAsync(task.Id, "runner/outcome", outcome);
        return outcome;
    }

    /// <summary>A task of an agent that runs on the host (<c>container.runtime: "local"</c>): no container is involved.</summary>
    private async Task<RunOutcome> RunLocalAsync(TaskRecord task, CancellationToken cancellationToken) => local is null
        ? RunJudge.Refused($"agent {task.Agent} runs on the host (agents.{task.Agent}.container.runtime \"local\"), and this runner was built without local mode")
        : await local.RunAsync(task, cancellationToken);

    /// <summary>Why the task's image cannot be used (not built), with the command that builds it; null when it exists.</summary>
    private async Task<string?> MissingImageAsync(TaskProfile profile, CancellationToken cancellationToken)
    {
        try
        {
            await runtime.Engine.Images.InspectImageAsync(profile.Image, cancellationToken);
            return null;
        }
        catch (DockerImageNotFoundException)
        {
            return $"image {profile.Image} (chosen by the {profile.ChosenBy.Level} level: {profile.ChosenBy.Source}) is not built; build it with '{Stacks.BuildCommand(profile.Image)}', or see 'claude-hooks images resolve --agent {profile.Agent.Name} --repo <repo>'";
        }
    }

    // Runs the repository's setup command in the checkout, as the agent, with the gateway as its proxy; its output
    // (stdout and stderr, the last 64 KiB) is kept for the task's events. stdin is closed: a setup never waits for input.
    internal const string SetupScript = """
        cd "$1" || exit 1
        log="$HOME/.claude-hooks-setup.log"
        sh -c "$2" >"$log" 2>&1 </dev/null
        status=$?
        tail -c 65536 "$log"
        rm -f "$log"
        exit $status
        """;

    /// <summary>
    /// Makes the checkout and runs the repository's <c>setup</c> command in it before Claude Code starts (for example
    /// <c>npm ci</c>, whose downloads go through the gateway's allowlist). A failure or a setup past its time limit ends
    /// the task with the command's last output; null when it succeeded.
    /// </summary>
    private async Task<RunOutcome?> SetupAsync(TaskRecord task, AgentConfig agent, RepositorySettings settings, string setup, Sandbox sandbox, Launch launch, IReadOnlyList<string> environment, CancellationToken cancellationToken)
    {
        await new SandboxCheckout(runtime).CloneAsync(sandbox.Id, agent.Container.User, launch.Cache, launch.Checkout, launch.Branch, launch.StartCommit, launch.Remote, environment, cancellationToken);
        return await SetupAsync(events, task, settings, setup, limit => runtime.ExecAsync(sandbox.Id, ["sh", "-c", SetupScript, "setup", launch.Checkout, setup], environment, agent.Container.User, ResourceNames.WorkRoot, limit), cancellationToken);
    }

    /// <summary>
    /// Runs the repository's <c>setup</c> command (<paramref name="run"/> starts <see cref="SetupScript"/> in the
    /// checkout, wherever the task runs) within its time limit, storing its events; null when it succeeded.
    /// </summary>
    internal static async Task<RunOutcome?> SetupAsync(TaskEventBus events, TaskRecord task, RepositorySettings settings, string setup, Func<CancellationToken, Task<ExecResult>> run, CancellationToken cancellationToken)
    {
        await RunOutput.PublishAsync(events, task.Id, "runner/setup-start", new { command = setup, timeout_seconds = (long)settings.SetupTimeout.TotalSeconds });
        var started = Stopwatch.GetTimestamp();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(settings.SetupTimeout);
        ExecResult result;
        try
        {
            result = await run(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await RunOutput.PublishAsync(events, task.Id, "runner/setup", new { command = setup, exit_code = (long?)null, duration_ms = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, output = "" });
            return RunJudge.Refused($"the setup command `{setup}` ({settings.KeyPath("setup")}) did not finish within {Duration.Format(settings.SetupTimeout)} ({settings.KeyPath("setup_timeout")}); Claude Code did not start", RunStatus.TimedOut);
        }

        await RunOutput.PublishAsync(events, task.Id, "runner/setup", new { command = setup, exit_code = result.ExitCode, duration_ms = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, output = result.Stdout });
        return result.Succeeded
            ? null
            : RunJudge.Refused($"the setup command `{setup}` ({settings.KeyPath("setup")}) failed with exit code {result.ExitCode} before Claude Code started: {RepositoryCache.LastLines(result.Stdout + result.Stderr)}");
    }

    /// <summary>How long reading a finished task's transcript and commits out of its sandbox, and pushing them, may take.</summary>
    internal TimeSpan FinishLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Counts what the task left running (as the engine sees it) and kills all of it, pass after pass, so that
    /// nothing of the task can change what is read back from the sandbox. The count goes into the outcome.
    /// </summary>
    private async Task<int> StopEverythingAsync(Sandbox sandbox, AgentConfig agent)
    {
        var first = await StrayCountAsync(sandbox);
        var stray = first;
        for (var pass = 0; pass < 5 && stray > 0; pass++)
        {
            await SignalAllAsync(sandbox, agent, "KILL");
            stray = await StrayCountAsync(sandbox);
        }

        return first;
    }

    private async Task<int> StrayCountAsync(Sandbox sandbox)
    {
        try
        {
            return (await runtime.ProcessesAsync(sandbox.Id, CancellationToken.None)).Count(p => !sandbox.IsInit(p));
        }
        catch (DockerApiException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Keeps the session for the thread's next task, with its transcript; only when the CLI started the session the
    /// service asked for (a task could print a forged init event of its own).
    /// </summary>
    private async Task SaveSessionAsync(TaskRecord task, AgentConfig agent, RepositoryUrl repository, Sandbox sandbox, string checkout, string started, string expected, CancellationToken cancellationToken)
    {
        if (started != expected)
        {
            await store.AddHistoryNoteAsync(task.Id, $"Claude Code reported session {started}, not {expected} as started; it is not kept, and the next task of the thread starts a fresh session", CancellationToken.None);
            return;
        }

        await store.SaveSessionAsync(new SessionRecord(agent.Name, repository.Key, task.Thread, started, checkout), CancellationToken.None);
        var saved = await new TranscriptKeeper(runtime).SaveAsync(sandbox, agent.Container.User, agent.Name, repository.Key, task.Thread, started, cancellationToken);
        if (saved.Record is { } record)
        {
            await store.SaveTranscriptAsync(record, CancellationToken.None);
        }
        else
        {
            await store.AddHistoryNoteAsync(task.Id, $"the transcript of session {started} was not saved ({saved.Problem}); the next task of the thread starts a fresh session", CancellationToken.None);
        }
    }

    /// <summary>
    /// The thread's stored session resumes only from the same checkout path and with its transcript restored into
    /// this sandbox (the only transcript it ever holds); otherwise a fresh session starts and the history says why.
    /// </summary>
    private async Task<(string Id, bool Resume)> ChooseSessionAsync(TaskRecord task, AgentConfig agent, RepositoryUrl repository, string checkout, Sandbox sandbox, CancellationToken cancellationToken)
    {
        var session = await store.GetSessionAsync(agent.Name, repository.Key, task.Thread, cancellationToken);
        if (session is null)
        {
            return (Guid.NewGuid().ToString(), false);
        }

        string? why;
        if (session.Worktree != checkout)
        {
            why = $"it started in {session.Worktree}, not {checkout}";
        }
        else if (await store.GetTranscriptAsync(agent.Name, repository.Key, task.Thread, cancellationToken) is not { } transcript || transcript.SessionId != session.SessionId)
        {
            why = "the service holds no transcript of it";
        }
        else
        {
            why = await new TranscriptKeeper(runtime).RestoreAsync(sandbox, agent.Container.User, transcript, cancellationToken);
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

    // Spares the init, its supervisor ($2) and the forwarder the supervisor keeps running (its child); a process's
    // parent is read from ps, whose columns a process cannot forge with its name.
    private const string SignalScript = """
        ps -e -o pid=,ppid= | while read -r pid ppid; do
            [ "$pid" = 1 ] || [ "$pid" = "$2" ] || [ "$ppid" = "$2" ] || [ "$pid" = "$$" ] || [ "$ppid" = "$$" ] || kill -s "$1" "$pid" 2>/dev/null
        done
        true
        """;

    /// <summary>
    /// Reads the task's new commits out of the sandbox as a bundle and pushes them from the cache. A task that
    /// did not succeed still has its commits pushed to its own branch, so no work is lost between tasks of a thread.
    /// </summary>
    private async Task<RunOutcome> PublishCommitsAsync(
        TaskRecord task, AgentConfig agent, RepositoryUrl repository, string container, string cache, Sandbox sandbox, string checkout, string branch,
        string startCommit, IReadOnlyList<string> runEnvironment, IReadOnlyList<string> maintenance, RunOutcome outcome, CancellationToken cancellationToken)
    {
        try
        {
            var bundle = await new SandboxCheckout(runtime).BundleAsync(sandbox.Id, agent.Container.User, checkout, startCommit, runEnvironment, cancellationToken);
            if (!PushOutcome.Pushes(agent))
            {
                return PushOutcome.NotPushed(agent, outcome, bundle.Length > 0);
            }

            var pushed = await new RepositoryCache(runtime).PublishAsync(container, cache, repository, branch, ResourceNames.TaskKey(task.Id), bundle, FinishLimit / 4, maintenance, cancellationToken);
            return PushOutcome.Pushed(outcome, pushed, branch);
        }
        catch (Exception e) when (e is WorkdirException or ContainerOperationException or DockerApiException or OperationCanceledException)
        {
            if (e is DockerApiException api)
            {
                e = new WorkdirException($"its commits could not be read: the sandbox no longer runs ({(api.ResponseBody ?? "").Trim()})");
            }
            else if (e is OperationCanceledException)
            {
                e = new WorkdirException($"reading its commits out of the sandbox and pushing them took longer than {Duration.Format(FinishLimit)}; they were not pushed");
            }

            return PushOutcome.Failed(outcome, e.Message);
        }
    }

    /// <summary>
    /// The role's instructions, then the operator's instructions for the repository (its <c>repositories</c> entry),
    /// then the repository's own CLAUDE.md as read by the service from the ref that guides the task.
    /// </summary>
    internal static async Task<string?> SystemPromptAsync(AgentConfig agent, CachedRepository cached, RepositorySettings? repository, CancellationToken cancellationToken)
    {
        var role = File.Exists(agent.Runner.PromptFile) ? await File.ReadAllTextAsync(agent.Runner.PromptFile, cancellationToken) : null;
        var operatorText = repository?.Prompt ?? (repository?.PromptFile is { } file && File.Exists(file) ? await File.ReadAllTextAsync(file, cancellationToken) : null);
        if (operatorText is { Length: > 0 })
        {
            role = $"""
                {role}

                # This repository
                The operator's instructions for work on this repository:

                {operatorText.Trim()}
                """;
        }

        if (cached.Guidance is not { Length: > 0 } guidance)
        {
            return role;
        }

        return $"""
            {role}

            # The repository's guidance
            The repository's CLAUDE.md on {(cached.GuidanceRef == "HEAD" ? "its default branch" : cached.GuidanceRef)} (copies of CLAUDE.md in your checkout are not loaded):

            {guidance.Trim()}
            """;
    }

    private async Task<Attempt> RunOnceAsync(
        TaskRecord task,
        AgentConfig agent,
        Sandbox sandbox,
        Launch launch,
        IReadOnlyList<string> environment,
        string sessionId,
        bool resume,
        string? systemPrompt,
        CancellationToken cancellationToken)
    {
        var settings = agent.Runner;
        var arguments = CommandOverride ?? ClaudeCommandLine.Build(settings, sessionId, resume, systemPrompt);
        await PublishAsync(task.Id, "runner/start", new { session_id = sessionId, resume, cwd = launch.Checkout, argv = arguments.Select(a => a.StartsWith("--append-system-prompt=", StringComparison.Ordinal) ? "--append-system-prompt=…" : a) });

        // One exec makes the checkout (before any agent code runs) and then becomes the CLI.
        var state = new RunState(Stopwatch.GetTimestamp()) { Started = () => sandboxes.Refill(agent) };
        using var stopping = new CancellationTokenSource();
        var command = SandboxCheckout.Launch(launch.Cache, launch.Checkout, launch.Branch, launch.StartCommit, launch.Remote, arguments);
        using var exec = await runtime.StartStreamingAsync(sandbox.Id, command, new ExecOptions(environment, agent.Container.User, ResourceNames.WorkRoot), cancellationToken);
        var stream = exec.Stream;
        var prompt = Encoding.UTF8.GetBytes(task.Prompt);
        await stream.WriteAsync(prompt, 0, prompt.Length, cancellationToken);
        stream.CloseWrite();

        var stdout = new Pipe();
        var output = new RunOutput(events, task.Id, state);
        var pump = PumpAsync(stream, stdout.Writer, output, state);
        var consume = output.ConsumeAsync(stdout.Reader);
        var watchdog = RunWatchdog.WatchAsync(events, task, agent, state, pump, signal => SignalAllAsync(sandbox, agent, signal), StopGrace, cancellationToken, stopping.Token);

        await Task.WhenAll(pump, consume);
        await stopping.CancelAsync();
        await watchdog;

        long exitCode;
        try
        {
            exitCode = await exec.ExitCodeAsync(CancellationToken.None);
        }
        catch (DockerApiException)
        {
            exitCode = -1;
        }

        var outcome = new RunJudge(config, gateway).Judge(task, agent, state, exitCode, sessionId, resume);
        return new Attempt(outcome, state.Init is not null, sessionId);
    }

    /// <summary>
    /// Splits the exec's multiplexed output: stdout to the NDJSON reader (which the pipe holds back while the
    /// reader is busy), stderr to stored events.
    /// </summary>
    private static async Task PumpAsync(MultiplexedStream stream, PipeWriter stdout, RunOutput output, RunState state)
    {
        var buffer = new byte[81920];
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

                await output.StderrAsync(buffer.AsMemory(0, read.Count));
            }

            await output.EndStderrAsync();
        }
        finally
        {
            await stdout.CompleteAsync();
        }
    }

    /// <summary>Signals every process in the sandbox but its init and the init's idle child, whatever its session, name or environment.</summary>
    private async Task SignalAllAsync(Sandbox sandbox, AgentConfig agent, string signal)
    {
        try
        {
            await runtime.ExecAsync(sandbox.Id, ["sh", "-c", SignalScript, "signal", signal, sandbox.IdlePid], user: agent.Container.User, cancellationToken: CancellationToken.None);
        }
        catch (DockerApiException)
        {
            // The sandbox stopped: nothing of the task runs any more.
        }
    }

    private async Task PublishAsync<T>(string taskId, string type, T payload) => await RunOutput.PublishAsync(events, taskId, type, payload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: {Killed} process(es) of the task were still running at its end and went with its sandbox; {Left} alive after removal")]
    private partial void LogLeftover(string taskId, int killed, int left);

    private sealed record Attempt(RunOutcome Outcome, bool SawInit, string ExpectedSession);

    /// <summary>Where a run starts: the thread's checkout, made from the cache at this commit on this branch.</summary>
    private sealed record Launch(string Cache, string Checkout, string Branch, string StartCommit, string Remote);
}
