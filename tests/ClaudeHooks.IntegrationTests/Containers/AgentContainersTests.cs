using System.Security.Cryptography;
using System.Text.Json;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;
using ClaudeHooks.Workdir;
using Docker.DotNet.Models;

namespace ClaudeHooks.IntegrationTests.Containers;

[Collection(DockerCollection.Name)]
public sealed class AgentContainersTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task Up_CreatesEachAgentWithVolumesAndNoNetwork_AndIsIdempotent()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);

        var before = await ListAsync(cts.Token);
        var results = await fixture.Reconciler().UpAsync(fixture.Config.Agents, cts.Token);
        var after = await ListAsync(cts.Token);
        var state = await fixture.Docker.Volumes.InspectAsync($"{fixture.Prefix}-dev-state", cts.Token);

        Assert.Equal(["boss", "dev", "reviewer"], before.Select(c => c.Labels[ResourceNames.AgentLabel]).Order());
        Assert.All(before, c => Assert.Equal("running", c.State));
        Assert.Equal(before.Select(c => c.ID).Order(), after.Select(c => c.ID).Order());
        Assert.All(results, r => Assert.Contains("already running, adopted", r, StringComparison.Ordinal));
        Assert.Contains($"/{fixture.Prefix}-dev", after.Single(c => c.Labels[ResourceNames.AgentLabel] == "dev").Names);

        var volumes = (await fixture.Docker.Volumes.ListAsync(new VolumesListParameters { Filters = ResourceNames.Filter(fixture.Prefix) }, cts.Token)).Volumes!
            .Where(v => !ResourceNames.IsSandbox(v.Labels)).Select(v => v.Name).Order();
        Assert.Equal(
            new[] { "boss", "dev", "reviewer" }.SelectMany(a => new[] { $"{fixture.Prefix}-{a}-home", $"{fixture.Prefix}-{a}-state" }).Order(),
            volumes);
        var networks = await fixture.Docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = ResourceNames.Filter(fixture.Prefix) }, cts.Token);
        Assert.Empty(networks);

        var dev = await fixture.Docker.Containers.InspectContainerAsync($"{fixture.Prefix}-dev", cts.Token);
        Assert.Equal(RestartPolicyKind.UnlessStopped, dev.HostConfig!.RestartPolicy!.Name);
        Assert.Equal("none", dev.HostConfig.NetworkMode);
        var gateway = Assert.Single(dev.Mounts!, m => m.Type == "bind");
        Assert.Equal((ClaudeHooks.Gateway.HostGateway.AgentFolder(fixture.Config.GatewayRoot, "dev"), ClaudeHooks.Gateway.HostGateway.ContainerDirectory, false), (gateway.Source, gateway.Destination, gateway.RW));
        Assert.Equal(ResourceNames.MaintenanceUser, dev.Config!.User);
        Assert.Equal(ResourceNames.StateLayout, state.Labels![ResourceNames.LayoutLabel]);
    }

    [SkippableFact]
    public async Task Up_StateVolumeOfTheOldLayout_IsReplacedByAnEmptyCache()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var reviewer = fixture.Config.Find("reviewer")!;
        var volume = $"{fixture.Prefix}-reviewer-state";
        await fixture.Docker.Containers.RemoveContainerAsync($"{fixture.Prefix}-reviewer", new ContainerRemoveParameters { Force = true }, cts.Token);
        await fixture.Docker.Volumes.RemoveAsync(volume, force: true, cts.Token);
        await fixture.Docker.Volumes.CreateAsync(new VolumesCreateParameters { Name = volume, Labels = ResourceNames.Labels(fixture.Prefix, "reviewer") }, cts.Token);

        var result = Assert.Single(await fixture.Reconciler().UpAsync([reviewer], cts.Token));

        Assert.Contains("had the old layout", result, StringComparison.Ordinal);
        Assert.Equal(ResourceNames.StateLayout, (await fixture.Docker.Volumes.InspectAsync(volume, cts.Token)).Labels![ResourceNames.LayoutLabel]);
        var owner = await fixture.Runtime.ExecAsync($"{fixture.Prefix}-reviewer", ["stat", "-c", "%U", "/state/cache"], cancellationToken: cts.Token);
        Assert.Equal(ResourceNames.MaintenanceUser, owner.Stdout.Trim());
    }

    [SkippableFact]
    public async Task Up_StoppedContainerAndDuplicate_StartsOneAndRemovesTheOther()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var reviewer = fixture.Config.Find("reviewer")!;
        var spec = ContainerSpecFactory.Create(fixture.Config, reviewer);
        var duplicate = ContainerConfigurationConverter.ToCreateParameters(spec with { Name = spec.Name + "-copy" });
        var created = await fixture.Docker.Containers.CreateContainerAsync(duplicate, cts.Token);
        await fixture.Docker.Containers.StopContainerAsync(spec.Name, new ContainerStopParameters { WaitBeforeKillSeconds = 1 }, cts.Token);

        var results = await fixture.Reconciler().UpAsync([reviewer], cts.Token);

        var remaining = (await ListAsync(cts.Token)).Where(c => c.Labels[ResourceNames.AgentLabel] == "reviewer").ToList();
        var single = Assert.Single(remaining);
        Assert.Equal("running", single.State);
        Assert.NotEqual(created.ID, single.ID);
        Assert.Contains("started (was exited)", Assert.Single(results), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Rebuild_RecreatesContainer_KeepsStateVolumeContents()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var exec = fixture.Runtime;
        var marker = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var container = $"{fixture.Prefix}-dev";
        var write = await exec.ExecAsync(container, ["sh", "-c", $"mkdir -p /state/cache/x && echo {marker} > /state/cache/x/f"], cancellationToken: cts.Token);
        Assert.True(write.Succeeded, write.Stderr);
        var before = await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token);

        await fixture.Reconciler().RebuildAsync([fixture.Config.Find("dev")!], cts.Token);

        var after = await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token);
        var read = await exec.ExecAsync(container, ["sh", "-c", "cat /state/cache/x/f && rm -r /state/cache/x"], cancellationToken: cts.Token);
        Assert.NotEqual(before.ID, after.ID);
        Assert.Equal($"{marker}\n", read.Stdout);
    }

    [SkippableFact]
    public async Task Audit_FreshContainers_PassesEveryCheck_AndRestoresTokenFiles()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var tokensBefore = fixture.Config.Agents.Select(a => File.ReadAllText(fixture.Paths.TokenFile(a.Name))).ToList();

        var findings = await new ContainerAuditor(fixture.Runtime, fixture.Config, fixture.Paths, fixture.Gateway, new HashSet<string>()).AuditAsync(fixture.Config.Agents, "stand-in-" + fixture.Prefix, cts.Token);

        Assert.All(findings, f => Assert.True(f.Passed, $"{f.Agent} {f.Check}: {f.Detail}"));
        Assert.Equal(3, findings.Select(f => f.Agent).Distinct().Count());
        Assert.Contains(findings, f => f.Check == "token not in filesystem");
        Assert.Contains(findings, f => f.Check == "sandbox empty home");
        Assert.Contains(findings, f => f.Check == "cache not writable by the agent");
        Assert.Contains(findings, f => f.Check == "sandbox cache read-only");
        Assert.Contains(findings, f => f.Check == "Claude policy is the service's");
        Assert.Contains(findings, f => f.Check == "agent container runs only its init");
        Assert.Contains(findings, f => f.Check == "no sandbox outlives its task");
        Assert.Equal(tokensBefore, fixture.Config.Agents.Select(a => File.ReadAllText(fixture.Paths.TokenFile(a.Name))));
    }

    [SkippableFact]
    public async Task Audit_TokenPlantedInContainerConfig_Fails()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var reviewer = fixture.Config.Find("reviewer")!;
        var standIn = "planted-" + fixture.Prefix;
        var spec = ContainerSpecFactory.Create(fixture.Config, reviewer);
        await fixture.Docker.Containers.RemoveContainerAsync(spec.Name, new ContainerRemoveParameters { Force = true }, cts.Token);
        var leaky = ContainerConfigurationConverter.ToCreateParameters(spec);
        leaky.Env.Add($"FORGE_TOKEN={standIn}");
        var created = await fixture.Docker.Containers.CreateContainerAsync(leaky, cts.Token);
        await fixture.Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cts.Token);
        try
        {
            var findings = await new ContainerAuditor(fixture.Runtime, fixture.Config, fixture.Paths, fixture.Gateway, new HashSet<string>()).AuditAsync([reviewer], standIn, cts.Token);

            var failed = findings.Where(f => !f.Passed).Select(f => f.Check).ToList();
            Assert.Contains("secrets in container config", failed);
            Assert.Contains("token not in docker inspect", failed);
        }
        finally
        {
            await fixture.Reconciler().RebuildAsync([reviewer], CancellationToken.None);
        }

        var clean = await new ContainerAuditor(fixture.Runtime, fixture.Config, fixture.Paths, fixture.Gateway, new HashSet<string>()).AuditAsync([reviewer], standIn, cts.Token);
        Assert.All(clean, f => Assert.True(f.Passed, $"{f.Check}: {f.Detail}"));
    }

    [SkippableFact]
    public async Task Audit_FailsOn_ASandboxOutlivingItsTask_AWritableCache_AndAPlantedSettingsFile()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var dev = fixture.Config.Find("dev")!;
        var container = $"{fixture.Prefix}-dev";
        var auditor = new ContainerAuditor(fixture.Runtime, fixture.Config, fixture.Paths, fixture.Gateway, new HashSet<string>());
        var stray = await fixture.Sandboxes.AcquireAsync(dev, "t-ended-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), cts.Token);
        try
        {
            var open = await fixture.Runtime.ExecAsync(container, ["sh", "-c", "mkdir -p /state/cache/open && chmod 0777 /state/cache/open"], cancellationToken: cts.Token);
            var plant = await fixture.Runtime.ExecAsync(container, ["sh", "-c", "mkdir -p /home/claude/.claude && echo '{\"hooks\":{}}' > /home/claude/.claude/settings.json"], user: "claude", cancellationToken: cts.Token);
            Assert.True(open.Succeeded && plant.Succeeded, open.Stderr + plant.Stderr);

            var failed = (await auditor.AuditAsync([dev], null, cts.Token)).Where(f => !f.Passed).ToList();

            Assert.Contains(failed, f => f.Check == "no sandbox outlives its task" && f.Detail.Contains(stray.Name, StringComparison.Ordinal));
            Assert.Contains(failed, f => f.Check == "cache not writable by the agent" && f.Detail.Contains("/state/cache/open", StringComparison.Ordinal));
            Assert.Contains(failed, f => f.Check == "no Claude settings in the agent's volumes" && f.Detail.Contains("/home/claude/.claude", StringComparison.Ordinal));
        }
        finally
        {
            await fixture.Sandboxes.ReleaseAsync(stray);
            await fixture.Runtime.ExecAsync(container, ["rm", "-rf", "/state/cache/open"], cancellationToken: CancellationToken.None);
            await fixture.Runtime.ExecAsync(container, ["rm", "-rf", "/home/claude/.claude"], user: "claude", cancellationToken: CancellationToken.None);
        }

        var clean = await auditor.AuditAsync([dev], null, cts.Token);
        Assert.All(clean, f => Assert.True(f.Passed, $"{f.Check}: {f.Detail}"));
    }

    [SkippableFact]
    public async Task Audit_FailsOn_ASandboxWithANetwork_ACredentialInAnExecEnvironment_AndAMissingForwarder()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var dev = fixture.Config.Find("dev")! with { WarmSandboxes = 0 };
        var keys = new[] { "audit-net", "audit-env", "audit-fwd" }.Select(k => $"{k}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}").ToArray();
        var auditor = new ContainerAuditor(fixture.Runtime, fixture.Config, fixture.Paths, fixture.Gateway, keys.ToHashSet());
        var planted = await fixture.Sandboxes.AcquireAsync(dev, keys[1], cts.Token);
        var unforwarded = await fixture.Sandboxes.AcquireAsync(dev, keys[2], cts.Token);

        // A sandbox made as the service makes one, but on the engine's default bridge.
        var spec = ContainerSpecFactory.CreateSandbox(fixture.Config, dev, ResourceNames.Sandbox(fixture.Prefix, "dev", keys[0]), new Dictionary<string, string>(), "audit-net");
        fixture.Gateway.OpenSandbox("audit-net", "dev");
        var networked = await fixture.Runtime.CreateAndStartAsync(ContainerConfigurationConverter.ToCreateParameters(spec with { Network = "bridge" }), cts.Token);
        try
        {
            // The dev agent's real forge token in a process of a sandbox, as a careless exec would put it there; and a
            // sandbox whose forwarder is gone and whose supervisor is wedged (stopped), so nothing restarts it.
            using var leak = await fixture.Runtime.StartStreamingAsync(planted.Id, ["sleep", "60"], new ExecOptions([$"FORGE_TOKEN={fixture.DevToken}"], "claude"), cts.Token);
            var killed = await fixture.Runtime.ExecAsync(unforwarded.Id, ["sh", "-c", $"kill -STOP {unforwarded.IdlePid}; pkill -x socat; sleep 0.5; grep -c '0100007F:1CF3 00000000:0000 0A' /proc/net/tcp || true"], user: "claude", cancellationToken: cts.Token);
            Assert.Equal("0", killed.Stdout.Trim());

            var failed = (await auditor.AuditAsync([dev], null, cts.Token)).Where(f => !f.Passed).ToList();

            Assert.Contains(failed, f => f.Detail.Contains("network mode bridge: a route around the gateway", StringComparison.Ordinal) && f.Detail.Contains("network interfaces [eth0, lo] besides loopback", StringComparison.Ordinal));
            Assert.Contains(failed, f => f.Check == $"sandbox {planted.Name} hardening" && f.Detail.Contains("the dev forge token is in a process's environment", StringComparison.Ordinal));
            Assert.Contains(failed, f => f.Check == $"sandbox {unforwarded.Name} hardening" && f.Detail.Contains("no forwarder listens on 127.0.0.1:7411", StringComparison.Ordinal));
            Assert.DoesNotContain(failed, f => f.Detail.Contains(fixture.DevToken, StringComparison.Ordinal));
        }
        finally
        {
            await fixture.Runtime.RemoveAsync(networked, CancellationToken.None);
            fixture.Gateway.CloseSandbox("audit-net");
            await fixture.Sandboxes.ReleaseAsync(planted);
            await fixture.Sandboxes.ReleaseAsync(unforwarded);
        }
    }

    [SkippableFact]
    public async Task ForgeToken_RotatedOnHost_NextGatewayRequestUsesIt_AndNoExecOrContainerConfigHoldsIt()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var dev = fixture.Config.Find("dev")!;
        var exec = fixture.Runtime;
        var container = $"{fixture.Prefix}-dev";
        var tokenFile = fixture.Paths.TokenFile("dev");
        var original = await File.ReadAllTextAsync(tokenFile, cts.Token);
        var startedBefore = (await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token)).State!.StartedAt;
        try
        {
            // The service's git in the agent's container reaches the remote through the gateway, which reads the
            // token file at each request: a rotated token is used by the next request, and no exec ever holds it.
            var repo = await fixture.Git.CreateRepositoryAsync("it-owner", "rotation-" + Guid.NewGuid().ToString("N")[..8], new Dictionary<string, string> { ["README.md"] = "# r\n" });
            var repository = RepositoryUrl.Parse(repo, allowLocal: false);
            var taskId = "rotation" + Guid.NewGuid().ToString("N")[..8];
            fixture.Gateway.BindTask(taskId, dev, repository, "issue-1");
            var environment = AgentCredentials.MaintenanceEnvironment(dev, taskId, fixture.Gateway.MaintenanceSocket);
            string[] lsRemote = ["sh", "-c", RemoteScript, "ls", repository.GatewayPath];
            AgentSandbox.WriteSecret(tokenFile, "rotation-one-" + fixture.Prefix);
            fixture.Git.RequiredToken = "rotation-one-" + fixture.Prefix;
            var first = await exec.ExecAsync(container, lsRemote, environment, "hooks", cancellationToken: cts.Token);
            AgentSandbox.WriteSecret(tokenFile, "rotation-two-" + fixture.Prefix);
            fixture.Git.RequiredToken = "rotation-two-" + fixture.Prefix;
            var second = await exec.ExecAsync(container, lsRemote, environment, "hooks", cancellationToken: cts.Token);
            fixture.Gateway.UnbindTask(taskId);
            var agentRun = AgentCredentials.RunEnvironment(dev);
            var inspect = await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token);

            Assert.True(first.Succeeded, first.Stderr);
            Assert.Contains("refs/heads/main", first.Stdout, StringComparison.Ordinal);
            Assert.True(second.Succeeded, second.Stderr);
            Assert.DoesNotContain(environment, e => e.Contains("rotation-", StringComparison.Ordinal));
            Assert.DoesNotContain("rotation-", first.Stdout + second.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(agentRun, e => e.Contains("rotation-", StringComparison.Ordinal));
            Assert.Equal(startedBefore, inspect.State!.StartedAt);
            Assert.DoesNotContain("rotation-", JsonSerializer.Serialize(inspect), StringComparison.Ordinal);
        }
        finally
        {
            AgentSandbox.WriteSecret(tokenFile, original);
            fixture.Git.RequiredToken = null;
        }
    }

    /// <summary>The forwarder the service's scripts start, then ls-remote through it; prints the environment's forge token if it had one.</summary>
    private const string RemoteScript = """
        forwarder=
        port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
        socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$GATEWAY_SOCKET" 2>/dev/null &
        forwarder=$!
        i=0; while [ $i -lt 200 ] && ! grep -q "0100007F:$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp; do sleep 0.01; i=$((i+1)); done
        printf '%s' "${FORGE_TOKEN:-}"
        git ls-remote "http://127.0.0.1:$port$1"; status=$?
        kill $forwarder
        exit $status
        """;

    [SkippableFact]
    public async Task ForkBomb_InASandbox_HitsPidsLimit_WhileTheAgentsStayResponsive_AndGoesWithTheSandbox()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var sandbox = await fixture.Sandboxes.AcquireAsync(fixture.Config.Find("dev")!, "t-forkbomb", cts.Token);
        using var bomb = await fixture.Runtime.StartStreamingAsync(sandbox.Id, ["bash", "-c", "bomb() { bomb | bomb & }; bomb"], new ExecOptions(User: "claude"), cts.Token);
        bomb.Stream.CloseWrite();
        SandboxEnd end;
        ulong peak = 0;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (peak < (ulong)DockerFixture.DevPidsLimit - 2 && DateTime.UtcNow < deadline)
            {
                peak = Math.Max(peak, await PidsAsync(sandbox.Id, cts.Token));
                await Task.Delay(200, cts.Token);
            }

            var others = await Task.WhenAll(
                fixture.Runtime.ExecAsync($"{fixture.Prefix}-dev", ["sh", "-c", "echo alive"], cancellationToken: cts.Token),
                fixture.Runtime.ExecAsync($"{fixture.Prefix}-reviewer", ["sh", "-c", "echo alive"], cancellationToken: cts.Token));
            Assert.All(others, r => Assert.Equal("alive\n", r.Stdout));
        }
        finally
        {
            end = await fixture.Sandboxes.ReleaseAsync(sandbox);
        }

        Assert.InRange(peak, (ulong)DockerFixture.DevPidsLimit - 2, (ulong)DockerFixture.DevPidsLimit);
        Assert.True(end.KilledProcesses > 10, $"{end.KilledProcesses} processes were killed with the sandbox");
        Assert.Equal(0, end.LeftoverProcesses);
        Assert.Null(await fixture.Runtime.InspectAsync(sandbox.Id, cts.Token));
    }

    private async Task<ulong> PidsAsync(string container, CancellationToken cancellationToken)
    {
        ContainerStatsResponse? stats = null;
        await fixture.Docker.Containers.GetContainerStatsAsync(container, new ContainerStatsParameters { Stream = false }, new Progress<ContainerStatsResponse>(s => stats = s), cancellationToken);
        for (var i = 0; i < 50 && stats is null; i++)
        {
            await Task.Delay(20, cancellationToken);
        }

        return stats?.PidsStats?.Current ?? 0;
    }

    private Task<IList<ContainerListResponse>> ListAsync(CancellationToken cancellationToken) => fixture.Reconciler().FindAsync(null, cancellationToken);

}
