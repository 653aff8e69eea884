using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using Docker.DotNet.Models;

namespace ClaudeHooks.Tests.Containers;

public sealed class ContainerConfigurationConverterTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly ClaudeHooksPaths _paths;

    public ContainerConfigurationConverterTests()
    {
        _paths = new ClaudeHooksPaths(_home.Path);
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public void ToCreateParameters_DefaultAgent_AppliesEveryHardeningField()
    {
        var config = Parse("""{ "container_prefix": "t1", "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""");

        var create = ContainerConfigurationConverter.ToCreateParameters(ContainerSpecFactory.Create(config, config.Agents[0]));
        var host = create.HostConfig!;

        Assert.Equal("t1-dev", create.Name);
        Assert.Equal(ResourceNames.MaintenanceUser, create.User);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Empty(host.CapAdd);
        Assert.Equal(["no-new-privileges:true"], host.SecurityOpt);
        Assert.False(host.Privileged);
        Assert.True(host.ReadonlyRootfs);
        Assert.Equal(512, host.PidsLimit);
        Assert.Equal(4L << 30, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(2_000_000_000, host.NanoCPUs);
        Assert.Null(host.Runtime);
        Assert.Equal("none", host.NetworkMode);
        Assert.Empty(host.PortBindings);
        Assert.False(host.PublishAllPorts);
        Assert.Equal(RestartPolicyKind.UnlessStopped, host.RestartPolicy!.Name);
        Assert.StartsWith("rw,noexec,nosuid,nodev,size=", host.Tmpfs!["/tmp"], StringComparison.Ordinal);
        Assert.Equal(["volume:t1-dev-state:/state:rw", "volume:t1-dev-home:/home/claude:rw", $"bind:{config.GatewayRoot}/agents/dev:/run/claude-hooks/gateway:ro"], host.Mounts!.Select(m => $"{m.Type}:{m.Source}:{m.Target}:{(m.ReadOnly == true ? "ro" : "rw")}"));
        Assert.DoesNotContain(host.Mounts!, m => (m.Source ?? "").Contains("docker.sock", StringComparison.Ordinal));
        Assert.Null(create.Healthcheck);
        Assert.Equal("true", create.Labels[ResourceNames.ManagedLabel]);
        Assert.Equal("t1", create.Labels[ResourceNames.PrefixLabel]);
        Assert.Equal("dev", create.Labels[ResourceNames.AgentLabel]);
        Assert.Equal("dev", create.Labels[ResourceNames.RoleLabel]);
        Assert.Equal(16, create.Labels[ResourceNames.SpecHashLabel].Length);
    }

    [Fact]
    public void ToCreateParameters_Sandbox_HasTheAgentsHardening_AReadOnlyCache_AndNothingThatOutlivesIt()
    {
        var config = Parse("""{ "container_prefix": "t1", "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "pids": 64, "memory": "1g", "runtime": "runsc" } } } }""");
        var agent = config.Agents[0];

        var create = ContainerConfigurationConverter.ToCreateParameters(
            ContainerSpecFactory.CreateSandbox(config, agent, "t1-dev-t1234", new Dictionary<string, string> { [ResourceNames.TaskLabel] = "t1234" }, "s0cket"));
        var agentHost = ContainerConfigurationConverter.ToCreateParameters(ContainerSpecFactory.Create(config, agent)).HostConfig!;
        var host = create.HostConfig!;

        Assert.Equal("t1-dev-t1234", create.Name);
        Assert.Equal("claude", create.User);
        Assert.Equal(RestartPolicyKind.No, host.RestartPolicy!.Name);
        Assert.Equal(["NONE"], create.Healthcheck!.Test);
        Assert.Equal(agentHost.CapDrop, host.CapDrop);
        Assert.Equal(agentHost.SecurityOpt, host.SecurityOpt);
        Assert.Equal((agentHost.PidsLimit, agentHost.Memory, agentHost.MemorySwap, agentHost.NanoCPUs, agentHost.Runtime, agentHost.NetworkMode, agentHost.ReadonlyRootfs),
            (host.PidsLimit, host.Memory, host.MemorySwap, host.NanoCPUs, host.Runtime, host.NetworkMode, host.ReadonlyRootfs));
        Assert.Equal(["volume:t1-dev-state:/state:ro", "volume::/work:rw", $"bind:{config.GatewayRoot}/sockets/s0cket:/run/claude-hooks/gateway:ro"], host.Mounts!.Select(m => $"{m.Type}:{m.Source}:{m.Target}:{(m.ReadOnly == true ? "ro" : "rw")}"));
        Assert.Equal("none", host.NetworkMode);
        Assert.Contains("CLAUDE_HOOKS_FORWARDER_PORT=7411", create.Env);
        Assert.Equal(ResourceNames.SandboxKind, host.Mounts![1].VolumeOptions!.Labels![ResourceNames.KindLabel]);
        Assert.Equal($"rw,exec,nosuid,nodev,size={512L << 20},uid=1000,gid=1000,mode=0700", host.Tmpfs!["/home/claude"]);
        Assert.StartsWith("rw,noexec,nosuid,nodev,size=", host.Tmpfs!["/tmp"], StringComparison.Ordinal);
        Assert.Contains("CLAUDE_CONFIG_DIR=/home/claude/.claude", create.Env);
        Assert.Equal(ResourceNames.SandboxKind, create.Labels[ResourceNames.KindLabel]);
        Assert.Equal("t1234", create.Labels[ResourceNames.TaskLabel]);
        Assert.Equal("dev", create.Labels[ResourceNames.AgentLabel]);
    }

    [Fact]
    public void ToCreateParameters_Overrides_AreApplied()
    {
        var config = Parse("""
            { "agents": { "dev": { "role": "dev", "forge_user": "d", "container": {
              "memory": "1g", "memory_swap": "2g", "cpus": 0.5, "pids": 64, "runtime": "runsc", "network": "lab",
              "cap_add": ["NET_BIND_SERVICE"], "no_new_privileges": false, "seccomp": "unconfined", "read_only_rootfs": false, "tmp_size": "64m" } } } }
            """);

        var host = ContainerConfigurationConverter.ToCreateParameters(ContainerSpecFactory.Create(config, config.Agents[0])).HostConfig!;

        Assert.Equal(1L << 30, host.Memory);
        Assert.Equal(2L << 30, host.MemorySwap);
        Assert.Equal(500_000_000, host.NanoCPUs);
        Assert.Equal(64, host.PidsLimit);
        Assert.Equal("runsc", host.Runtime);
        Assert.Equal("lab", host.NetworkMode);
        Assert.Equal(["NET_BIND_SERVICE"], host.CapAdd);
        Assert.Equal(["seccomp=unconfined"], host.SecurityOpt);
        Assert.False(host.ReadonlyRootfs);
        Assert.EndsWith($"size={64L << 20}", host.Tmpfs!["/tmp"], StringComparison.Ordinal);
    }

    [Fact]
    public void ToCreateParameters_CredentialsHostPath_IsMountedIntoNoContainer()
    {
        var file = _home.Write("creds/dev/.credentials.json", """{"claudeAiOauth":{}}""");
        var config = Parse($$"""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": { "credentials_host_path": "{{file}}" } } } }""");

        var mounts = ContainerConfigurationConverter.ToCreateParameters(ContainerSpecFactory.CreateSandbox(config, config.Agents[0], "x", new Dictionary<string, string>(), "s1")).HostConfig!.Mounts!;
        var agentMounts = ContainerConfigurationConverter.ToCreateParameters(ContainerSpecFactory.Create(config, config.Agents[0])).HostConfig!.Mounts!;

        Assert.All(mounts.Concat(agentMounts).Where(m => m.Type == "bind"), m => Assert.StartsWith(config.GatewayRoot + "/", m.Source, StringComparison.Ordinal));
        Assert.DoesNotContain(mounts.Concat(agentMounts), m => m.Source is { } source && source.StartsWith(Path.GetDirectoryName(file)!, StringComparison.Ordinal));
    }

    [Fact]
    public void ToCreateParameters_NeverCarriesSecrets()
    {
        const string forgeCanary = "forge-canary-7f3a9";
        const string oauthCanary = "sk-ant-oat01-canary-1c2d";
        _home.Write("tokens/dev", forgeCanary);
        _home.Write("claude-auth/dev", oauthCanary);
        var config = Parse("""{ "model": { "base_url": "http://model.local:9000" }, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""");

        foreach (var spec in new[] { ContainerSpecFactory.Create(config, config.Agents[0]), ContainerSpecFactory.CreateSandbox(config, config.Agents[0], "x", new Dictionary<string, string>(), "s1") })
        {
            var create = ContainerConfigurationConverter.ToCreateParameters(spec);
            var json = JsonSerializer.Serialize(create);

            Assert.DoesNotContain(forgeCanary, json, StringComparison.Ordinal);
            Assert.DoesNotContain(oauthCanary, json, StringComparison.Ordinal);
            Assert.DoesNotContain(create.Env, e => e.StartsWith("FORGE_TOKEN=", StringComparison.Ordinal) || e.Contains("TOKEN", StringComparison.Ordinal) || e.Contains("API_KEY", StringComparison.Ordinal));
            Assert.DoesNotContain(create.HostConfig!.Mounts!, m => (m.Source ?? "").StartsWith(_paths.TokensDirectory, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void SpecHash_ChangesWithConfig_NotBetweenIdenticalSpecs()
    {
        var a = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""");
        var b = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""");
        var c = Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "pids": 100 } } } }""");

        string Hash(AgentsConfig config) => ContainerConfigurationConverter.SpecHash(ContainerSpecFactory.Create(config, config.Agents[0]));

        Assert.Equal(Hash(a), Hash(b));
        Assert.NotEqual(Hash(a), Hash(c));
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse("agents.json", json, _paths);
}
