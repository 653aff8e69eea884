using System.Security.Cryptography;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.IntegrationTests;

/// <summary>
/// A real engine, the real agent image and three agent containers under a prefix of this run's own, removed
/// (with their volumes and networks) afterwards. The dev agent talks to a scripted model and a real git remote,
/// both listening on the host side of the dev agent's network (its gateway address), which is how containers
/// reach a server the test runs on the host. Without an engine the tests skip loudly, except under CI=true,
/// where they fail.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public const string StandInCredentials = """{"claudeAiOauth":{"accessToken":"stand-in-1"}}""";

    public string Prefix { get; } = "cht-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public string Home { get; } = Directory.CreateTempSubdirectory("claude-hooks-it-").FullName;

    public string? SkipReason { get; private set; }

    public DockerClient Docker { get; } = DockerConnection.Create();

    internal ClaudeHooksPaths Paths => new(Home);

    internal AgentsConfig Config { get; private set; } = null!;

    public string CredentialsDirectory => Path.Combine(Home, "credentials", "boss");

    public long DevPidsLimit => 96;

    public ScriptedModelServer Model { get; private set; } = null!;

    public GitHttpServer Git { get; private set; } = null!;

    internal ITaskStore Store { get; private set; } = null!;

    internal TaskEventBus Events { get; private set; } = null!;

    public string DevToken => File.ReadAllText(Paths.TokenFile("dev")).Trim();

    internal AgentRunner Runner(IReadOnlyList<string>? command = null) =>
        new(Docker, Config, Paths, Store, Events, NullLogger<AgentRunner>.Instance) { StopGrace = TimeSpan.FromSeconds(1), CommandOverride = command };

    internal ContainerReconciler Reconciler() => new(Docker, Config, NullLogger<ContainerReconciler>.Instance);

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
        await EnsureImageAsync(image);

        Directory.CreateDirectory(CredentialsDirectory);
        WriteSecret(Path.Combine(CredentialsDirectory, ".credentials.json"), StandInCredentials, ContainerUid);
        foreach (var agent in new[] { "boss", "dev", "reviewer" })
        {
            WriteSecret(Paths.TokenFile(agent), $"forge-token-{agent}-{Prefix}");
        }

        WriteSecret(Path.Combine(Home, "claude-auth", "dev-key"), "sk-ant-api03-stand-in-dev");
        WriteSecret(Path.Combine(Home, "claude-auth", "reviewer"), "sk-ant-oat01-stand-in-reviewer");

        var configFile = Path.Combine(Home, "agents.json");
        await File.WriteAllTextAsync(configFile, $$"""
            {
              "container_prefix": "{{Prefix}}",
              "images": { "default": "{{image}}" },
              "agents": {
                "boss": { "role": "lead", "forge_user": "it-lead", "claude_auth": { "credentials_host_dir": "credentials/boss" },
                          "container": { "memory": "512m", "cpus": 0.5, "pids": 128 } },
                "dev": { "role": "dev", "forge_user": "it-dev", "claude_auth": { "api_key_file": "claude-auth/dev-key" },
                         "container": { "memory": "1g", "cpus": 1, "pids": {{DevPidsLimit}} },
                         "runner": { "timeout": "2m", "idle_timeout": "5s", "max_turns": 10 } },
                "reviewer": { "role": "reviewer", "forge_user": "it-reviewer", "container": { "memory": "512m", "cpus": 0.5, "pids": 128 } }
              }
            }
            """);
        Config = ConfigLoader.Load(configFile, Paths);
        await Reconciler().UpAsync(Config.Agents, CancellationToken.None);

        var network = await Docker.Networks.InspectNetworkAsync(ResourceNames.Network(Prefix, "dev"));
        var gateway = network.IPAM.Config.Select(c => c.Gateway).First(g => !string.IsNullOrEmpty(g));
        Model = await ScriptedModelServer.StartAsync([gateway]);
        Git = await GitHttpServer.StartAsync(gateway);
        Config = Config with { Model = new ModelSettings(Model.BaseUrl(gateway)) };
        Store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(Path.Combine(Home, "data")), TimeProvider.System);
        Events = new TaskEventBus(Store);
    }

    public async Task DisposeAsync()
    {
        if (SkipReason is null)
        {
            if (Model is not null)
            {
                await Model.DisposeAsync();
            }

            if (Git is not null)
            {
                await Git.DisposeAsync();
            }
            var containers = await Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ResourceNames.Filter(Prefix) });
            foreach (var container in containers)
            {
                await Docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true });
            }

            var volumes = await Docker.Volumes.ListAsync(new VolumesListParameters { Filters = ResourceNames.Filter(Prefix) });
            foreach (var volume in volumes.Volumes ?? [])
            {
                await Docker.Volumes.RemoveAsync(volume.Name, force: true);
            }

            foreach (var network in await Docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = ResourceNames.Filter(Prefix) }))
            {
                await Docker.Networks.DeleteNetworkAsync(network.ID);
            }
        }

        Docker.Dispose();
        Directory.Delete(Home, recursive: true);
    }

    /// <summary>The uid of the image's <c>claude</c> user, which must be able to read a mounted credentials file.</summary>
    public const int ContainerUid = 1000;

    public static void WriteSecret(string path, string content, int? owner = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (owner is { } uid && Environment.UserName == "root")
        {
            using var chown = System.Diagnostics.Process.Start("chown", [$"{uid}:{uid}", path]);
            chown.WaitForExit();
        }
    }

    private async Task EnsureImageAsync(string image)
    {
        try
        {
            await Docker.Images.InspectImageAsync(image);
            return;
        }
        catch (DockerImageNotFoundException)
        {
        }

        var bundle = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_EXTRA_CA_BUNDLE");
        if (bundle is null && Directory.Exists("/usr/local/share/ca-certificates") && Directory.EnumerateFiles("/usr/local/share/ca-certificates", "*.crt", SearchOption.AllDirectories).Any())
        {
            bundle = "/usr/local/share/ca-certificates";
        }

        await Console.Error.WriteLineAsync($"building {image} for the Docker tests (run 'scripts/test' to build it once beforehand)");
        await new ImageBuilder(Docker).BuildAsync(ImageBuilder.DefaultContextDirectory, image, bundle, _ => { }, CancellationToken.None);
    }
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}
