using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Tests.Api;

/// <summary><c>GET /api/health</c>'s answer for agents that run on the host.</summary>
public sealed class HealthApiTests : IDisposable
{
    private static readonly EngineStatus NoEngine = new(false, false, "claude-hooks/agent-base:latest", false, [], ["cannot reach the Docker engine"]);

    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Compose_EveryAgentLocal_IsOkWithoutAnEngine_SaysModeLocal_AndCarriesTheWarning()
    {
        var config = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" } } } }""");

        var body = HealthApi.Compose(config, NoEngine, new HealthApi.QueueHealth(new Dictionary<string, int> { ["dev"] = 0 }, 0, null), false, "/data/claude-hooks.db", []);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(body, HealthApi.JsonOptions));

        Assert.True(body.Ok);
        Assert.Equal("local", json.RootElement.GetProperty("mode").GetString());
        var agent = json.RootElement.GetProperty("agents")[0];
        Assert.Equal("local", agent.GetProperty("mode").GetString());
        Assert.Equal("host", agent.GetProperty("state").GetString());
        Assert.StartsWith("local mode: agent(s) dev run Claude Code as a host process", json.RootElement.GetProperty("localModeWarning").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_Mixed_NeedsTheEngineForTheContainerisedAgent()
    {
        var config = Parse("""
            { "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" } },
                          "reviewer": { "role": "reviewer", "forge_user": "r" } } }
            """);
        var running = NoEngine with { SocketConnected = true, ImageAvailable = true, NetworkExists = true, Agents = [new AgentStatus("reviewer", "reviewer", "claude-hooks-reviewer", "running", "healthy", "i", null, 0, 1)] };

        var down = HealthApi.Compose(config, NoEngine, new HealthApi.QueueHealth(new Dictionary<string, int>(), 0, null), false, "db", []);
        var up = HealthApi.Compose(config, running, new HealthApi.QueueHealth(new Dictionary<string, int>(), 0, null), false, "db", []);

        Assert.False(down.Ok);
        Assert.True(up.Ok);
        Assert.Equal("mixed", up.Mode);
        Assert.Equal(["local", "docker"], up.Agents.Select(a => a.Mode));
        Assert.NotNull(up.LocalModeWarning);
    }

    [Fact]
    public void Compose_NoLocalAgent_SaysDockerAndOmitsTheWarning()
    {
        var config = Parse("""{ "agents": { "reviewer": { "role": "reviewer", "forge_user": "r" } } }""");

        var body = HealthApi.Compose(config, NoEngine, null, false, "db", []);

        Assert.Equal("docker", body.Mode);
        Assert.DoesNotContain("localModeWarning", JsonSerializer.Serialize(body, HealthApi.JsonOptions), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_AnAgentCannotRun_IsNotOk_AndNamesTheAgentTheReasonAndTheFix()
    {
        var config = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" } } } }""");
        var blockers = new Dictionary<string, IReadOnlyList<AgentBlocker>> { ["dev"] = [new AgentBlocker("forge token /h/tokens/dev: not found", "write it there")] };

        var body = HealthApi.Compose(config, NoEngine, new HealthApi.QueueHealth(new Dictionary<string, int>(), 0, null), false, "db", [], blockers);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(body, HealthApi.JsonOptions));

        Assert.False(body.Ok);
        var agent = json.RootElement.GetProperty("agents")[0];
        Assert.False(agent.GetProperty("canRun").GetBoolean());
        Assert.Equal("write it there", agent.GetProperty("blockers")[0].GetProperty("fix").GetString());
        Assert.Contains("agent dev cannot run: forge token /h/tokens/dev: not found; write it there", body.Problems);
        Assert.Equal("/etc/claude-hooks/agents.json", json.RootElement.GetProperty("configFile").GetString());
    }

    [Fact]
    public void Compose_DiskBelowMinFreeDisk_IsNotOk_AndReportsTheDiskAndTheDatabaseSize()
    {
        var config = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" } } } }""");
        var storage = new ClaudeHooks.Hosting.StorageStatus("/data", FreeBytes: 10L << 20, TotalBytes: 100L << 20, MinFreeBytes: 1L << 30, DatabaseBytes: 4096, WalBytes: 512);
        var queue = new HealthApi.QueueHealth(new Dictionary<string, int>(), 0, null);

        var full = HealthApi.Compose(config, NoEngine, queue, false, "db", [], storage: storage);
        var room = HealthApi.Compose(config, NoEngine, queue, false, "db", [], storage: storage with { MinFreeBytes = 1L << 20 });
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(full, HealthApi.JsonOptions));

        Assert.False(full.Ok);
        Assert.True(room.Ok);
        Assert.False(json.RootElement.GetProperty("disk").GetProperty("ok").GetBoolean());
        Assert.Equal(10L << 20, json.RootElement.GetProperty("disk").GetProperty("freeBytes").GetInt64());
        Assert.Equal(4096, json.RootElement.GetProperty("database").GetProperty("sizeBytes").GetInt64());
        Assert.Equal(512, json.RootElement.GetProperty("database").GetProperty("walBytes").GetInt64());
        Assert.Contains(full.Problems, p => p.StartsWith("disk: the data directory /data has 10 MiB free, below service.min_free_disk (1 GiB)", StringComparison.Ordinal));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse("/etc/claude-hooks/agents.json", json, new ClaudeHooksPaths(_home.Path));
}
