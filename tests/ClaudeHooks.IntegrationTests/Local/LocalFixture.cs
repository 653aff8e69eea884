using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.IntegrationTests.Local;

/// <summary>
/// A local agent (container.runtime "local") with no engine at all: a claude-hooks home whose secrets are 0600 and
/// owned by the test's user, the scripted model and a git remote on loopback, and the real Claude Code CLI on the
/// host, named by <see cref="CliVariable"/> (scripts/test provisions it). The CLI is reached through a wrapper that
/// records, for every run, its uid, its environment and its home as it found it, then becomes the CLI. Without the
/// CLI the tests skip loudly, except under CI=true, where they fail.
/// </summary>
public sealed class LocalFixture : IAsyncLifetime
{
    public const string CliVariable = "CLAUDE_HOOKS_TEST_CLI";
    public const string ApiKey = "sk-ant-api03-stand-in-local-dev";

    /// <summary>The unprivileged host user the CLI runs as when the tests run as root.</summary>
    public const string HostUser = "nobody";

    private string _tools = "";

    public string? SkipReason { get; private set; }

    public string Home { get; private set; } = "";

    public string ConfigFile => Path.Combine(Home, "agents.json");

    /// <summary>Where the wrapper writes one folder per CLI run (uid, env, home).</summary>
    public string Records => Path.Combine(_tools, "records");

    public string DevToken { get; } = "forge-token-local-" + Guid.NewGuid().ToString("N")[..12];

    public ScriptedModelServer Model { get; private set; } = null!;

    public GitHttpServer Git { get; private set; } = null!;

    internal ClaudeHooksPaths Paths => new(Home);

    internal AgentsConfig Config { get; private set; } = null!;

    internal ITaskStore Store { get; private set; } = null!;

    internal TaskEventBus Events { get; private set; } = null!;

    internal ClaudeHooks.Gateway.EgressLog Egress { get; private set; } = null!;

    internal ClaudeHooks.Gateway.HostGateway Gateway { get; private set; } = null!;

    /// <summary>An engine client that reaches nothing: any use of the engine by a local run fails.</summary>
    internal DockerClient NoEngine { get; } = new DockerClientBuilder().WithEndpoint(new Uri($"unix:///tmp/claude-hooks-no-engine-{Guid.NewGuid():N}.sock")).Build();

    public static bool IsRoot => Environment.UserName == "root";

    public async Task InitializeAsync()
    {
        var cli = Environment.GetEnvironmentVariable(CliVariable);
        if (cli is null || !File.Exists(cli))
        {
            var why = $"{CliVariable} {(cli is null ? "is not set" : $"names {cli}, which does not exist")}; scripts/test provisions the Claude Code CLI for local-mode tests";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI=true requires the Claude Code CLI on the host: {why}");
            }

            SkipReason = $"NO CLAUDE CODE CLI ON THE HOST: local-mode tests SKIPPED ({why})";
            await Console.Error.WriteLineAsync($"!!!!! {SkipReason} !!!!!");
            return;
        }

        // The wrapper and its records must be reachable by the CLI's user.
        _tools = Directory.CreateTempSubdirectory("claude-hooks-local-cli-").FullName;
        File.SetUnixFileMode(_tools, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Records);
        File.SetUnixFileMode(Records, (UnixFileMode)0b1_111_111_111);
        var wrapper = Path.Combine(_tools, "claude");
        await File.WriteAllTextAsync(wrapper, $$"""
            #!/bin/sh
            out={{Records}}/$(date +%s%N)-$$
            mkdir -p "$out"
            id -u > "$out/uid"
            env > "$out/env"
            ls -A "$HOME" > "$out/home"
            printf '%s' "$HOME" > "$out/home-path"
            exec {{cli}} "$@"
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);

        // Open to others, as far as folders go: what keeps the CLI's user from the secrets is their own mode (0600, the test's user).
        Home = Directory.CreateTempSubdirectory("claude-hooks-local-home-").FullName;
        File.SetUnixFileMode(Home, (UnixFileMode)0b111_101_101);
        AgentSandbox.WriteSecret(Path.Combine(Home, "tokens", "dev"), DevToken);
        AgentSandbox.WriteSecret(Path.Combine(Home, "claude-auth", "dev-key"), ApiKey);
        Model = await ScriptedModelServer.StartAsync(["127.0.0.1"]);
        Git = await GitHttpServer.StartAsync("127.0.0.1");
        await File.WriteAllTextAsync(ConfigFile, $$"""
            {
              "container_prefix": "chl-{{Guid.NewGuid().ToString("N")[..6]}}",
              "model": { "base_url": "{{Model.BaseUrl("127.0.0.1")}}" },
              "service": { "lease": "4s", "drain_timeout": "4s" },
              "agents": {
                "dev": { "role": "dev", "forge_user": "it-local-dev", "claude_auth": { "api_key_file": "claude-auth/dev-key" },
                         "container": { "runtime": "local", "user": "{{HostUser}}" },
                         "runner": { "local_cli": "{{wrapper}}", "timeout": "2m", "idle_timeout": "30s", "max_turns": 10 } }
              }
            }
            """);
        Config = ConfigLoader.Load(ConfigFile, Paths);
        var database = await Database.OpenAndMigrateAsync(Path.Combine(Home, "data"));
        Store = new SqliteTaskStore(database, TimeProvider.System);
        Events = new TaskEventBus(Store);
        Egress = new ClaudeHooks.Gateway.EgressLog(database, TimeProvider.System, NullLogger<ClaudeHooks.Gateway.EgressLog>.Instance);
        Gateway = new ClaudeHooks.Gateway.HostGateway(Config, Paths, Events, Egress.Record, TimeProvider.System, NullLoggerFactory.Instance);
        await Gateway.StartAsync([], CancellationToken.None);
    }

    /// <summary>The service's runner as it is composed, its engine unreachable: only local mode can work.</summary>
    internal AgentRunner Runner()
    {
        var runtime = new ContainerRuntime(NoEngine);
        var local = new LocalRunner(Gateway, Config, Events, NullLogger<LocalRunner>.Instance) { StopGrace = TimeSpan.FromSeconds(1) };
        return new AgentRunner(runtime, new SandboxManager(runtime, Config, Gateway, NullLogger<SandboxManager>.Instance), Gateway, Config, Paths, Store, Events, NullLogger<AgentRunner>.Instance, local);
    }

    internal async Task<TaskRecord> NewRunningTaskAsync(string repo, string thread, string prompt, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var task = new TaskRecord(Guid.NewGuid().ToString("N"), "dev", repo, null, thread, prompt, TaskState.Running, 1, now, now, null,
            LeaseOwner: "test", LeaseExpiresAt: now + TimeSpan.FromHours(1));
        await Store.CreateTaskAsync(task, "claimed by a test", cancellationToken);
        return task;
    }

    /// <summary>The records of the CLI runs whose environment names <paramref name="taskKey"/>.</summary>
    public IReadOnlyList<CliRecord> RecordsOf(string taskKey) =>
        [.. Directory.EnumerateDirectories(Records).Select(CliRecord.Read).Where(r => r.Environment.GetValueOrDefault(LocalRunner.MarkerVariable) == taskKey)];

    public async Task DisposeAsync()
    {
        if (SkipReason is not null)
        {
            NoEngine.Dispose();
            return;
        }

        await Gateway.DisposeAsync();
        await Egress.DisposeAsync();
        await Model.DisposeAsync();
        await Git.DisposeAsync();
        NoEngine.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Home, recursive: true);
        Directory.Delete(_tools, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class LocalCollection : ICollectionFixture<LocalFixture>
{
    public const string Name = "local";
}
