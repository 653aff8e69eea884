using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Agents;

/// <summary>
/// Runs Claude Code for a task of a local agent (<c>container.runtime: "local"</c>) as a host process, for machines
/// without an engine. The gateway stays in front: each task gets a loopback port of its own on it, bound to the task
/// (model credential, git route and push policy, egress allowlist, egress log), and a fresh folder (0700, owned by
/// the CLI's user) with an empty home and a checkout cloned through that port. The CLI runs with an environment made
/// from scratch, in a process group of its own; its events are read as in a sandbox, the same limits stop it, and
/// at the end everything recognisable as the task's is killed, its commits are pushed through the gateway, and the
/// folder is removed.
/// </summary>
/// <remarks>
/// This isolates far less than a sandbox (see <see cref="LocalMode"/>): the CLI has its user's file access and the
/// host's network, and nothing limits its resources.
/// </remarks>
internal sealed partial class LocalRunner(Gateway.HostGateway gateway, AgentsConfig config, TaskEventBus events, ILogger<LocalRunner> logger)
{
    /// <summary>The variable every process of a local task inherits, naming its task, so the processes can be found at its end.</summary>
    public const string MarkerVariable = "CLAUDE_HOOKS_LOCAL_TASK";

    /// <summary>How long each stop step waits: stdin closed → SIGTERM → SIGKILL.</summary>
    internal TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long pushing a finished task's commits may take.</summary>
    internal TimeSpan FinishLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long making the checkout may take.</summary>
    internal TimeSpan CloneLimit { get; init; } = TimeSpan.FromMinutes(10);

    // Runs as the CLI's user before any agent code: clones the task's repository through the gateway and checks out
    // the thread's branch (as last pushed, else the base ref, else the default branch), prints where it started and
    // the remote's branch tips (commits already there are not the task's), then the guidance (CLAUDE.md) of the ref
    // that guides the task, read before the agent could change anything.
    private const string CloneScript = """
        set -eu
        remote=$1 path=$2 branch=$3 base=$4 guidance=$5 pin=$6 cli=$7
        if [ ! -x "$cli" ]; then
            echo "cli-not-runnable"
            exit 9
        fi
        git clone -q --no-checkout "$remote" "$path"
        cd "$path"
        case "$base" in
            refs/pull/*) git fetch -q --no-tags origin "+$base:$base" ;;
        esac
        resolve() {
            for candidate in "$@"; do
                if git rev-parse -q --verify "$candidate^{commit}" 2>/dev/null; then return 0; fi
            done
            return 1
        }
        exists=no
        if [ -n "$pin" ]; then
            at=$(resolve "refs/remotes/origin/$base" "$base" || true)
            if [ "$at" != "$pin" ]; then
                echo "head-moved ${at:-none}"
                exit 7
            fi
            start=$pin
        elif start=$(resolve "refs/remotes/origin/$branch"); then
            exists=yes
        elif [ -n "$base" ]; then
            start=$(resolve "refs/remotes/origin/$base" "$base") || { echo "base ref '$base' does not exist in the repository" >&2; exit 3; }
        else
            start=$(resolve refs/remotes/origin/HEAD) || { echo "the repository has no default branch (is it empty?); pass a base ref" >&2; exit 3; }
        fi
        git checkout -q -B "$branch" "$start"
        echo "start $(git rev-parse HEAD)"
        echo "branch-exists $exists"
        echo "tips $(git for-each-ref --format='%(objectname)' refs/remotes/origin | sort -u | tr '\n' ' ')"
        guide=refs/remotes/origin/HEAD
        [ -z "$guidance" ] || guide=$(resolve "refs/remotes/origin/$guidance" "$guidance") || guide=
        if [ -n "$guide" ] && git cat-file -e "$guide:CLAUDE.md" 2>/dev/null; then
            echo "guidance ${guidance:-HEAD}"
            echo ---
            git cat-file blob "$guide:CLAUDE.md" | head -c 65536
        fi
        """;

    // Runs as the CLI's user once everything of the task was killed, with a git that reads no config but the
    // checkout's own (no hooks, no fsmonitor): lists the task's commits (on HEAD, neither the start nor on the remote
    // when the task began, so commits the agent pushed itself count) and, for a role that pushes, pushes HEAD to the
    // thread's branch at the gateway's URL given here, never a configured remote.
    private const string PublishScript = """
        set -eu
        cd "$1"
        start=$2 remote=$3 branch=$4 mode=$5
        shift 5
        git rev-parse -q --verify 'HEAD^{commit}' >/dev/null || exit 0
        commits=$(git rev-list --reverse HEAD --not "$start" "$@")
        [ -n "$commits" ] || exit 0
        echo "head $(git rev-parse HEAD)"
        [ "$mode" = push ] && git push -q "$remote" "HEAD:refs/heads/$branch" >&2
        for commit in $commits; do git log -1 --format='commit %H %s' "$commit"; done
        """;

    public async Task<RunOutcome> RunAsync(TaskRecord task, CancellationToken cancellationToken)
    {
        var configured = config.Find(task.Agent) ?? throw new ConfigException([$"{config.FilePath}: no agent named \"{task.Agent}\""]);
        var repository = RepositoryUrl.Parse(task.Repo, config.Workdir.AllowLocalRepos);
        TaskProfile profile;
        HostUser user;
        Tools tools;
        try
        {
            profile = TaskProfile.Resolve(config, configured, repository, task.Image);
            if (task.Image is not null)
            {
                throw new TaskProfileException($"the task asks for image {task.Image}, but agent {configured.Name} runs on the host (agents.{configured.Name}.container.runtime \"local\") and uses no image");
            }

            user = HostUser.Resolve(configured);
            tools = Tools.Find(configured);
        }
        catch (Exception e) when (e is TaskProfileException or LocalModeException)
        {
            return RunJudge.Refused(e.Message);
        }

        // The agent as this task sees it: the repository's tighter limits applied.
        var agent = configured with { Runner = profile.Runner, Container = profile.Container };
        var branch = GitNames.Branch(agent.Name, task.Thread);
        var taskKey = ResourceNames.TaskKey(task.Id);
        var processes = new TaskProcesses(user, tools, $"{MarkerVariable}={taskKey}", StopGrace);
        var listener = gateway.OpenLocal(task.Id, agent, repository, task.Thread);
        string folder;
        try
        {
            folder = Directory.CreateTempSubdirectory("claude-hooks-local-").FullName;
        }
        catch
        {
            gateway.CloseLocal(listener);
            throw;
        }

        var home = Path.Combine(folder, "home");
        var checkout = Path.Combine(folder, repository.Name);
        RunOutcome outcome;
        int killed = 0, left;
        try
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            user.Own(folder);
            user.Own(home);
            var environment = RunEnvironment(agent, listener.Url, home, processes.Marker);
            var git = GitEnvironment(agent, taskKey, processes.Marker);
            var remote = listener.Url + repository.GatewayPath;
            await PublishAsync(task.Id, "runner/local", new { folder, home, checkout, user = user.Name, uid = user.Uid, switched_user = user.Switched, cli = tools.Cli, gateway = listener.Url });

            var (cached, tips, refused) = await CloneAsync(task, agent, user, tools, processes, git, remote, folder, checkout, branch, cancellationToken);
            if (cached is null)
            {
                outcome = refused! with { Worktree = checkout, Branch = branch };
            }
            else
            {
                await PublishAsync(task.Id, "runner/checkout", new { path = checkout, branch, start = cached.StartCommit, branch_existed = cached.BranchExists, guidance = cached.GuidanceRef });
                var setupFailed = profile.Repository is { Setup: { } setup } settings
                    ? await AgentRunner.SetupAsync(events, task, settings, setup, limit => processes.ExecAsync(["sh", "-c", AgentRunner.SetupScript, "setup", checkout, setup], environment, checkout, limit), cancellationToken)
                    : null;
                outcome = setupFailed ?? await RunCliAsync(task, agent, processes, environment, checkout, await AgentRunner.SystemPromptAsync(agent, cached, profile.Repository, cancellationToken), cancellationToken);
                outcome = outcome with { Worktree = checkout, Branch = branch };

                // Nothing of the task may run while its commits are read and pushed.
                killed = await processes.StopEverythingAsync();
                using var finishing = new CancellationTokenSource(FinishLimit);
                outcome = await PublishCommitsAsync(agent, processes, git, remote, checkout, branch, cached.StartCommit, tips, outcome, finishing.Token);
            }
        }
        finally
        {
            killed += await processes.StopEverythingAsync();
            gateway.CloseLocal(listener);
            var removed = Remove(folder);
            left = processes.Count();
            if (killed > 0 || left > 0)
            {
                LogLeftover(task.Id, killed, left);
            }

            if (!removed)
            {
                LogNotRemoved(task.Id, folder);
            }

            await PublishAsync(task.Id, "runner/local-removed", new { folder, removed, killed_processes = killed, leftover_processes = left });
        }

        outcome = outcome with { KilledProcesses = killed, LeftoverProcesses = left };
        await PublishAsync(task.Id, "runner/outcome", outcome);
        return outcome;
    }

    /// <summary>
    /// The CLI's environment, made from scratch: of the service's own only PATH, LANG and TZ; the gateway's port as
    /// model endpoint and proxy, a placeholder credential, the task's home, a git identity and the task's marker.
    /// </summary>
    internal static IReadOnlyList<string> RunEnvironment(AgentConfig agent, string gateway, string home, string marker) =>
    [
        .. Inherited(),
        .. AgentCredentials.RunEnvironment(agent, gateway, home, Path.Combine(home, ".claude")),
        marker,
    ];

    /// <summary>The service's git as the CLI's user: no config but the checkout's own, no hooks, no prompts; no secret (the gateway adds the token).</summary>
    private static IReadOnlyList<string> GitEnvironment(AgentConfig agent, string taskKey, string marker) =>
        [.. Inherited(), .. Workdir.GitEnvironment.Maintenance(agent, taskKey, ""), "GIT_NO_REPLACE_OBJECTS=1", marker];

    private static IEnumerable<string> Inherited() =>
        new[] { "PATH", "LANG", "TZ" }.Select(name => (name, value: Environment.GetEnvironmentVariable(name))).Where(v => v.value is not null).Select(v => $"{v.name}={v.value}");

    /// <summary>The checkout, made as the CLI's user through the task's gateway port; a refusal when it cannot be made.</summary>
    private async Task<(CachedRepository? Cached, IReadOnlyList<string> Tips, RunOutcome? Refused)> CloneAsync(
        TaskRecord task, AgentConfig agent, HostUser user, Tools tools, TaskProcesses processes, IReadOnlyList<string> git, string remote, string folder, string checkout, string branch, CancellationToken cancellationToken)
    {
        if (task.BaseCommit is not null && (task.BaseRef is null || task.BaseCommit.Length != 40 || !task.BaseCommit.All(char.IsAsciiHexDigitLower)))
        {
            throw new WorkdirException($"a task pinned to commit \"{task.BaseCommit}\" needs a base ref and a full 40-character commit id");
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(CloneLimit);
        var result = await processes.ExecAsync(
            ["sh", "-c", CloneScript, "clone", remote, checkout, branch, task.BaseRef is null ? "" : GitNames.Ref(task.BaseRef), task.GuidanceRef is null ? "" : GitNames.Ref(task.GuidanceRef), task.BaseCommit ?? "", tools.Cli],
            git, folder, limit.Token);
        if (result.ExitCode == 7 && result.Stdout.StartsWith("head-moved ", StringComparison.Ordinal))
        {
            throw new HeadMovedException(task.BaseRef!, task.BaseCommit!, result.Stdout["head-moved ".Length..].Trim());
        }

        if (result.ExitCode == 9 && result.Stdout.StartsWith("cli-not-runnable", StringComparison.Ordinal))
        {
            return (null, [], RunJudge.Refused($"the Claude Code CLI {tools.Cli} (agents.{agent.Name}.runner.local_cli) cannot be run by host user {user.Name}: make it, and every folder above it, readable and executable by that user, or point the key at a copy it can run"));
        }

        if (!result.Succeeded)
        {
            return (null, [], RunJudge.Refused($"making the checkout of {task.Repo} through the gateway failed before Claude Code started: {RepositoryCache.LastLines(result.Stderr)}"));
        }

        var tips = result.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("tips ", StringComparison.Ordinal))?["tips ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return (RepositoryCache.Prepared(result.Stdout), tips, null);
    }

    private async Task<RunOutcome> RunCliAsync(TaskRecord task, AgentConfig agent, TaskProcesses processes, IReadOnlyList<string> environment, string checkout, string? systemPrompt, CancellationToken cancellationToken)
    {
        // Every task starts a fresh session: its home, and the transcript in it, go with the task's folder.
        var sessionId = Guid.NewGuid().ToString();
        var arguments = ClaudeCommandLine.Build(agent.Runner, sessionId, resume: false, systemPrompt);
        IReadOnlyList<string> command = [processes.Tools.Cli, .. arguments.Skip(1)];
        await PublishAsync(task.Id, "runner/start", new { session_id = sessionId, resume = false, cwd = checkout, argv = command.Select(a => a.StartsWith("--append-system-prompt=", StringComparison.Ordinal) ? "--append-system-prompt=…" : a) });

        var state = new RunState(Stopwatch.GetTimestamp());
        using var process = processes.Start(command, environment, checkout, track: true);
        var prompt = Encoding.UTF8.GetBytes(task.Prompt);
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(prompt, cancellationToken);
        }
        catch (IOException)
        {
            // The CLI ended before reading its prompt; what it printed says why.
        }

        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
        }

        var stdout = new Pipe();
        var output = new RunOutput(events, task.Id, state);
        using var abandon = new CancellationTokenSource();
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, async bytes => await stdout.Writer.WriteAsync(bytes), state, abandon.Token).ContinueWith(_ => stdout.Writer.CompleteAsync().AsTask(), TaskScheduler.Default).Unwrap(),
            PumpAsync(process.StandardError.BaseStream, output.StderrAsync, state, abandon.Token).ContinueWith(_ => output.EndStderrAsync(), TaskScheduler.Default).Unwrap());
        var consume = output.ConsumeAsync(stdout.Reader);
        using var stopping = new CancellationTokenSource();
        var watchdog = RunWatchdog.WatchAsync(events, task, agent, state, pumps, processes.SignalAsync, StopGrace, cancellationToken, stopping.Token);

        await process.WaitForExitAsync(CancellationToken.None);

        // What the CLI left behind may hold its output open; it is stopped, and output that still does not end is given up.
        if (await Task.WhenAny(pumps, Task.Delay(StopGrace, CancellationToken.None)) != pumps)
        {
            await processes.StopEverythingAsync();
            if (await Task.WhenAny(pumps, Task.Delay(StopGrace, CancellationToken.None)) != pumps)
            {
                await abandon.CancelAsync();
            }
        }

        await pumps;
        await consume;
        await stopping.CancelAsync();
        await watchdog;
        return new RunJudge(config, gateway).Judge(task, agent, state, process.ExitCode, sessionId, resume: false);
    }

    private static async Task PumpAsync(Stream from, Func<ReadOnlyMemory<byte>, Task> to, RunState state, CancellationToken abandon)
    {
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, CancellationToken.None).AsTask().WaitAsync(abandon)) > 0)
            {
                state.Touch();
                await to(buffer.AsMemory(0, read));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
        }
    }

    /// <summary>
    /// Lists the task's commits and, for a role that pushes, pushes them to the thread's branch through the gateway
    /// (its push policy applies), then checks with the gateway's remote that the branch is where the checkout is.
    /// </summary>
    private async Task<RunOutcome> PublishCommitsAsync(
        AgentConfig agent, TaskProcesses processes, IReadOnlyList<string> git, string remote, string checkout, string branch, string startCommit, IReadOnlyList<string> tips, RunOutcome outcome, CancellationToken cancellationToken)
    {
        try
        {
            var push = PushOutcome.Pushes(agent);
            var result = await processes.ExecAsync(["sh", "-c", PublishScript, "publish", checkout, startCommit, remote, branch, push ? "push" : "list", .. tips], git, checkout, cancellationToken);
            if (!result.Succeeded)
            {
                throw new WorkdirException($"pushing {branch} failed: {RepositoryCache.LastLines(result.Stderr)}");
            }

            var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var commits = lines.Where(l => l.StartsWith("commit ", StringComparison.Ordinal))
                .Select(l => l["commit ".Length..].Split(' ', 2))
                .Select(parts => new PushedCommit(parts[0], parts.Length > 1 ? parts[1] : ""))
                .ToList();
            if (!push)
            {
                return PushOutcome.NotPushed(agent, outcome, commits.Count > 0);
            }

            if (commits.Count > 0)
            {
                var head = lines.First(l => l.StartsWith("head ", StringComparison.Ordinal))["head ".Length..];
                var listed = await processes.ExecAsync(["git", "ls-remote", remote, $"refs/heads/{branch}"], git, "/", cancellationToken);
                var landed = listed.Succeeded ? listed.Stdout.Split('\t')[0].Trim() : "";
                if (landed != head)
                {
                    throw new WorkdirException($"the push did not land: {branch} is at {(landed.Length == 0 ? "nothing" : landed)} on the remote, not at the checkout's {head}");
                }
            }

            return PushOutcome.Pushed(outcome, commits, branch);
        }
        catch (Exception e) when (e is WorkdirException or OperationCanceledException)
        {
            return PushOutcome.Failed(outcome, e is OperationCanceledException ? $"pushing its commits took longer than {Duration.Format(FinishLimit)}; they were not pushed" : e.Message);
        }
    }

    /// <summary>Removes the task's folder, making its folders writable first when the task took that away; false when something of it is left.</summary>
    private static bool Remove(string folder)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
                return true;
            }
            catch (DirectoryNotFoundException)
            {
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                MakeWritable(new DirectoryInfo(folder));
            }
        }

        return !Directory.Exists(folder);
    }

    private static void MakeWritable(DirectoryInfo directory)
    {
        try
        {
            directory.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            foreach (var child in directory.EnumerateDirectories().Where(d => d.LinkTarget is null))
            {
                MakeWritable(child);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task PublishAsync<T>(string taskId, string type, T payload) => await RunOutput.PublishAsync(events, taskId, type, payload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: {Killed} process(es) of the local task were still running at its end and were killed; {Left} still alive")]
    private partial void LogLeftover(string taskId, int killed, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: the local task's folder {Folder} could not be removed entirely")]
    private partial void LogNotRemoved(string taskId, string folder);

    /// <summary>The programs a local run needs, found on the service's PATH; one that is missing is refused with the fix.</summary>
    internal sealed record Tools(string Cli, string Setpriv, string Setsid)
    {
        public static Tools Find(AgentConfig agent)
        {
            var key = $"agents.{agent.Name}.runner.local_cli";
            var cli = Executable(agent.Runner.LocalCli)
                ?? throw new LocalModeException($"the Claude Code CLI \"{agent.Runner.LocalCli}\" that local agent {agent.Name} runs was not found{(agent.Runner.LocalCli.Contains('/', StringComparison.Ordinal) ? "" : " on the service's PATH")}; install it, or set {key} to its absolute path");
            var setpriv = Executable("setpriv") ?? throw new LocalModeException("setpriv (util-linux) is not on the service's PATH; a local agent's CLI is started with it; install util-linux");
            var setsid = Executable("setsid") ?? throw new LocalModeException("setsid (util-linux) is not on the service's PATH; a local agent's CLI is started with it; install util-linux");
            return new Tools(cli, setpriv, setsid);
        }

        private static string? Executable(string name)
        {
            var candidates = name.Contains('/', StringComparison.Ordinal)
                ? [name]
                : (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name));
            return candidates.FirstOrDefault(c => File.Exists(c) && (File.GetUnixFileMode(c) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
        }
    }

    /// <summary>
    /// Starts a local task's processes as its user, each in a process group of its own, and finds them again: by
    /// those groups, by their sessions and by the task's marker in their environment.
    /// </summary>
    internal sealed class TaskProcesses(HostUser user, Tools tools, string marker, TimeSpan grace)
    {
        private readonly HashSet<int> _groups = [];

        public Tools Tools => tools;

        public string Marker => marker;

        /// <summary>Starts a command as the task's user; with <paramref name="track"/>, its process group and session count as the task's until the next full stop.</summary>
        public Process Start(IReadOnlyList<string> command, IReadOnlyList<string> environment, string directory, bool track = false)
        {
            var prefix = user.Prefix(tools.Setpriv, tools.Setsid);
            var start = new ProcessStartInfo(prefix[0])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = directory,
            };
            foreach (var argument in prefix.Skip(1).Concat(command))
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment.Clear();
            foreach (var variable in environment)
            {
                var equals = variable.IndexOf('=', StringComparison.Ordinal);
                start.Environment[variable[..equals]] = variable[(equals + 1)..];
            }

            var process = Process.Start(start)!;
            if (track)
            {
                lock (_groups)
                {
                    _groups.Add(process.Id);
                }
            }

            return process;
        }

        /// <summary>Runs a command to its end (stdin closed); cancelling kills its process group.</summary>
        public async Task<ExecResult> ExecAsync(IReadOnlyList<string> command, IReadOnlyList<string> environment, string directory, CancellationToken cancellationToken)
        {
            using var process = Start(command, environment, directory);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            // Something it left running may hold its output open: that is not waited for.
            var output = Task.WhenAll(stdout, stderr);
            if (await Task.WhenAny(output, Task.Delay(grace, CancellationToken.None)) != output)
            {
                HostProcesses.Signal([], user.Uid, marker, HostProcesses.Kill);
                await Task.WhenAny(output, Task.Delay(grace, CancellationToken.None));
            }

            return new ExecResult(process.ExitCode, stdout.IsCompletedSuccessfully ? stdout.Result : "", stderr.IsCompletedSuccessfully ? stderr.Result : "");
        }

        public Task SignalAsync(string signal)
        {
            HostProcesses.Signal(Groups(), user.Uid, marker, signal == "KILL" ? HostProcesses.Kill : HostProcesses.Term);
            return Task.CompletedTask;
        }

        /// <summary>
        /// Kills everything of the task, pass after pass, and returns how many processes there were at first. The
        /// tracked groups are then forgotten: nothing is left in them, and their ids may be given to others.
        /// </summary>
        public async Task<int> StopEverythingAsync()
        {
            var first = Count();
            var stray = first;
            for (var pass = 0; pass < 5 && stray > 0; pass++)
            {
                HostProcesses.Signal(Groups(), user.Uid, marker, HostProcesses.Kill);
                await Task.Delay(50, CancellationToken.None);
                stray = Count();
            }

            lock (_groups)
            {
                _groups.Clear();
            }

            return first;
        }

        public int Count() => HostProcesses.Find(Groups(), user.Uid, marker).Count;

        private int[] Groups()
        {
            lock (_groups)
            {
                return [.. _groups];
            }
        }
    }
}
