using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;
using Docker.DotNet;

namespace ClaudeHooks.IntegrationTests;

/// <summary>
/// A real engine, the real agent image and three agent containers (an <see cref="AgentSandbox"/> of this run's own).
/// The dev agent talks to the scripted model and the git remote. Without an engine the tests skip loudly, except
/// under CI=true, where they fail.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public const string StandInCredentials = """{"claudeAiOauth":{"accessToken":"stand-in-1"}}""";
    public const long DevPidsLimit = 96;

    private AgentSandbox? _sandbox;

    public string Prefix { get; } = AgentSandbox.NewPrefix("cht");

    public string? SkipReason { get; private set; }

    public DockerClient Docker { get; } = DockerConnection.Create();

    private AgentSandbox Sandbox => _sandbox ?? throw new InvalidOperationException("the sandbox did not start");

    public string Home => Sandbox.Home;

    public ScriptedModelServer Model => Sandbox.Model;

    public GitHttpServer Git => Sandbox.Git;

    public string CredentialsDirectory => Path.Combine(Home, "credentials", "boss");

    public string DevToken => File.ReadAllText(Paths.TokenFile("dev")).Trim();

    internal ClaudeHooksPaths Paths => Sandbox.Paths;

    public string ConfigFile => Sandbox.ConfigFile;

    internal AgentsConfig Config => Sandbox.Config;

    internal ITaskStore Store => Sandbox.Store;

    internal ContainerReconciler Reconciler() => Sandbox.Reconciler();

    internal AgentRunner Runner(IReadOnlyList<string>? command = null) => Sandbox.Runner(command);

    internal ContainerRuntime Runtime => Sandbox.Runtime;

    internal SandboxManager Sandboxes => Sandbox.Sandboxes;

    internal ClaudeHooks.Gateway.HostGateway Gateway => Sandbox.Gateway;

    internal ClaudeHooks.Gateway.EgressLog Egress => Sandbox.Egress;

    internal Task<TaskRecord> NewRunningTaskAsync(string repo, string thread, string prompt, CancellationToken cancellationToken) =>
        Sandbox.NewRunningTaskAsync("dev", repo, thread, prompt, cancellationToken);

    internal Task<(TaskRecord Task, RunOutcome Outcome)> RunToEndAsync(
        string agent, string repo, string thread, string prompt, CancellationToken cancellationToken, string? baseRef = null, string? guidanceRef = null, AgentRunner? runner = null) =>
        Sandbox.RunToEndAsync(agent, repo, thread, prompt, cancellationToken, baseRef, guidanceRef, runner);

    /// <summary>The dev agent's container's processes, as the engine lists them ("pid user args").</summary>
    public async Task<IReadOnlyList<string>> DevProcessesAsync(CancellationToken cancellationToken) =>
        (await Runtime.ProcessesAsync($"{Prefix}-dev", cancellationToken)).Select(p => $"{p.Pid} {p.User} {p.Command}").ToList();

    /// <summary>The commands running in every sandbox of <paramref name="agent"/>, as the engine lists them.</summary>
    public async Task<IReadOnlyList<string>> SandboxProcessesAsync(string agent, CancellationToken cancellationToken)
    {
        var commands = new List<string>();
        foreach (var sandbox in await Sandboxes.ListAsync(Prefix, cancellationToken))
        {
            if (sandbox.State == "running" && sandbox.Labels![ResourceNames.AgentLabel] == agent)
            {
                try
                {
                    commands.AddRange((await Runtime.ProcessesAsync(sandbox.ID, cancellationToken)).Select(p => p.Command));
                }
                catch (Docker.DotNet.DockerApiException)
                {
                    // It ended while being listed.
                }
            }
        }

        return commands;
    }

    /// <summary>The task sandboxes of this run's agents.</summary>
    public async Task<IReadOnlyList<string>> SandboxNamesAsync(CancellationToken cancellationToken) =>
        (await Sandboxes.ListAsync(Prefix, cancellationToken)).Select(c => c.Names.First().TrimStart('/')).ToList();

    public async Task InitializeAsync()
    {
        try
        {
            await DockerConnection.EnsureReachableAsync(Docker, CancellationToken.None);
        }
        catch (EngineUnavailableException e)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI=true requires a Docker engine and none answers: {e.Message}", e);
            }

            SkipReason = $"NO DOCKER ENGINE: Docker-backed tests SKIPPED ({e.Message})";
            await Console.Error.WriteLineAsync($"!!!!! {SkipReason} !!!!!");
            return;
        }

        var image = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_TEST_IMAGE") ?? "claude-hooks/agent-base:latest";
        await AgentSandbox.EnsureImageAsync(Docker, image);
        var secrets = new Dictionary<string, string>
        {
            ["credentials/boss/.credentials.json"] = StandInCredentials,
            ["tokens/boss"] = $"forge-token-boss-{Prefix}",
            ["tokens/dev"] = $"forge-token-dev-{Prefix}",
            ["tokens/reviewer"] = $"forge-token-reviewer-{Prefix}",
            ["claude-auth/dev-key"] = "sk-ant-api03-stand-in-dev",
            ["claude-auth/reviewer"] = "sk-ant-oat01-stand-in-reviewer",
        };
        _sandbox = await AgentSandbox.StartAsync(Docker, Prefix, $$"""
            {
              "container_prefix": "{{Prefix}}",
              "images": { "default": "{{image}}" },
              "service": { "lease": "4s", "drain_timeout": "4s", "max_attempts": 3 },
              "agents": {
                "boss": { "role": "lead", "forge_user": "it-lead", "claude_auth": { "credentials_host_dir": "credentials/boss" },
                          "container": { "memory": "512m", "cpus": 0.5, "pids": 128 } },
                "dev": { "role": "dev", "forge_user": "it-dev", "claude_auth": { "api_key_file": "claude-auth/dev-key" }, "max_concurrent_tasks": 2,
                         "container": { "memory": "1g", "cpus": 1, "pids": {{DevPidsLimit}} },
                         "runner": { "timeout": "2m", "idle_timeout": "5s", "max_turns": 10 } },
                "reviewer": { "role": "reviewer", "forge_user": "it-reviewer", "container": { "memory": "512m", "cpus": 0.5, "pids": 128 } }
              }
            }
            """,
            secrets,
            serverAgent: "dev",
            owners: new Dictionary<string, int> { ["credentials/boss/.credentials.json"] = AgentSandbox.ContainerUid });
    }

    public async Task DisposeAsync()
    {
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        Docker.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}
