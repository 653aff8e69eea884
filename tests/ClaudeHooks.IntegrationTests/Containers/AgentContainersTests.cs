using System.Security.Cryptography;
using System.Text.Json;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;
using Docker.DotNet.Models;

namespace ClaudeHooks.IntegrationTests.Containers;

[Collection(DockerCollection.Name)]
public sealed class AgentContainersTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task Up_CreatesEachAgentWithVolumesAndNetwork_AndIsIdempotent()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);

        var before = await ListAsync(cts.Token);
        var results = await fixture.Reconciler().UpAsync(fixture.Config.Agents, cts.Token);
        var after = await ListAsync(cts.Token);

        Assert.Equal(["boss", "dev", "reviewer"], before.Select(c => c.Labels[ResourceNames.AgentLabel]).Order());
        Assert.All(before, c => Assert.Equal("running", c.State));
        Assert.Equal(before.Select(c => c.ID).Order(), after.Select(c => c.ID).Order());
        Assert.All(results, r => Assert.Contains("already running, adopted", r, StringComparison.Ordinal));
        Assert.Contains($"/{fixture.Prefix}-dev", after.Single(c => c.Labels[ResourceNames.AgentLabel] == "dev").Names);

        var volumes = (await fixture.Docker.Volumes.ListAsync(new VolumesListParameters { Filters = ResourceNames.Filter(fixture.Prefix) }, cts.Token)).Volumes.Select(v => v.Name).Order();
        Assert.Equal(
            new[] { "boss", "dev", "reviewer" }.SelectMany(a => new[] { $"{fixture.Prefix}-{a}-home", $"{fixture.Prefix}-{a}-state" }).Order(),
            volumes);
        var networks = await fixture.Docker.Networks.ListNetworksAsync(new NetworksListParameters { Filters = ResourceNames.Filter(fixture.Prefix) }, cts.Token);
        Assert.Equal(3, networks.Count);

        var dev = await fixture.Docker.Containers.InspectContainerAsync($"{fixture.Prefix}-dev", cts.Token);
        Assert.Equal(RestartPolicyKind.UnlessStopped, dev.HostConfig.RestartPolicy.Name);
        Assert.Equal($"{fixture.Prefix}-dev-net", dev.HostConfig.NetworkMode);
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
        var exec = new AgentExec(fixture.Docker);
        var marker = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var container = $"{fixture.Prefix}-dev";
        var write = await exec.RunAsync(container, ["sh", "-c", $"echo {marker} > /state/claude/marker && mkdir -p /state/worktrees/x && echo {marker} > /state/worktrees/x/f"], cancellationToken: cts.Token);
        Assert.True(write.Succeeded, write.Stderr);
        var before = await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token);

        await fixture.Reconciler().RebuildAsync([fixture.Config.Find("dev")!], cts.Token);

        var after = await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token);
        var read = await exec.RunAsync(container, ["sh", "-c", "cat /state/claude/marker /state/worktrees/x/f"], cancellationToken: cts.Token);
        Assert.NotEqual(before.ID, after.ID);
        Assert.Equal($"{marker}\n{marker}\n", read.Stdout);
    }

    [SkippableFact]
    public async Task Audit_FreshContainers_PassesEveryCheck_AndRestoresTokenFiles()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var tokensBefore = fixture.Config.Agents.Select(a => File.ReadAllText(fixture.Paths.TokenFile(a.Name))).ToList();

        var findings = await new ContainerAuditor(fixture.Docker, fixture.Config, fixture.Paths).AuditAsync(fixture.Config.Agents, "stand-in-" + fixture.Prefix, cts.Token);

        Assert.All(findings, f => Assert.True(f.Passed, $"{f.Agent} {f.Check}: {f.Detail}"));
        Assert.Equal(3, findings.Select(f => f.Agent).Distinct().Count());
        Assert.Contains(findings, f => f.Check == "token not in filesystem");
        Assert.Contains(findings, f => f.Check == "empty home");
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
            var findings = await new ContainerAuditor(fixture.Docker, fixture.Config, fixture.Paths).AuditAsync([reviewer], standIn, cts.Token);

            var failed = findings.Where(f => !f.Passed).Select(f => f.Check).ToList();
            Assert.Contains("secrets in container config", failed);
            Assert.Contains("token not in docker inspect", failed);
        }
        finally
        {
            await fixture.Reconciler().RebuildAsync([reviewer], CancellationToken.None);
        }

        var clean = await new ContainerAuditor(fixture.Docker, fixture.Config, fixture.Paths).AuditAsync([reviewer], standIn, cts.Token);
        Assert.All(clean, f => Assert.True(f.Passed, $"{f.Check}: {f.Detail}"));
    }

    [SkippableFact]
    public async Task CredentialsDirectory_HostRewriteByRename_IsSeenInsideWithoutRestart()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var exec = new AgentExec(fixture.Docker);
        var container = $"{fixture.Prefix}-boss";
        var inside = "/state/claude/.credentials.json";
        var startedBefore = (await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token)).State.StartedAt;
        var before = await exec.RunAsync(container, ["sh", "-c", $"stat -L -c %i {inside}; cat {inside}"], cancellationToken: cts.Token);

        var refreshed = """{"claudeAiOauth":{"accessToken":"refreshed-""" + fixture.Prefix + "\"}}";
        var target = Path.Combine(fixture.CredentialsDirectory, ".credentials.json");
        var temporary = target + ".new";
        AgentSandbox.WriteSecret(temporary, refreshed, AgentSandbox.ContainerUid);
        File.Move(temporary, target, overwrite: true);

        var after = await exec.RunAsync(container, ["sh", "-c", $"stat -L -c %i {inside}; cat {inside}"], cancellationToken: cts.Token);
        var hostInode = await HostInodeAsync(target);
        var startedAfter = (await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token)).State.StartedAt;

        Assert.True(before.Succeeded, before.Stderr);
        Assert.EndsWith(DockerFixture.StandInCredentials, before.Stdout.Trim(), StringComparison.Ordinal);
        Assert.EndsWith(refreshed, after.Stdout.Trim(), StringComparison.Ordinal);
        var (inodeBefore, inodeAfter) = (before.Stdout.Split('\n')[0], after.Stdout.Split('\n')[0]);
        Assert.NotEqual(inodeBefore, inodeAfter);
        Assert.Equal(hostInode, inodeAfter);
        Assert.Equal(startedBefore, startedAfter);

        var write = await exec.RunAsync(container, ["sh", "-c", $"echo x > {inside}"], cancellationToken: cts.Token);
        Assert.False(write.Succeeded);
        Assert.Contains("Read-only file system", write.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ForgeToken_RotatedOnHost_NextExecSeesIt_AndContainerConfigNever()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var dev = fixture.Config.Find("dev")!;
        var credentials = new AgentCredentials(fixture.Config, fixture.Paths);
        var exec = new AgentExec(fixture.Docker);
        var container = $"{fixture.Prefix}-dev";
        var tokenFile = fixture.Paths.TokenFile("dev");
        var original = await File.ReadAllTextAsync(tokenFile, cts.Token);
        var startedBefore = (await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token)).State.StartedAt;
        try
        {
            AgentSandbox.WriteSecret(tokenFile, "rotation-one-" + fixture.Prefix);
            var first = await exec.RunAsync(container, ["sh", "-c", "printf %s \"$FORGE_TOKEN\""], credentials.ExecEnvironment(dev, includeForgeToken: true), cancellationToken: cts.Token);
            AgentSandbox.WriteSecret(tokenFile, "rotation-two-" + fixture.Prefix);
            var second = await exec.RunAsync(container, ["sh", "-c", "printf %s \"$FORGE_TOKEN\""], credentials.ExecEnvironment(dev, includeForgeToken: true), cancellationToken: cts.Token);
            var withoutToken = await exec.RunAsync(container, ["sh", "-c", "printf %s \"${FORGE_TOKEN:-none}\""], cancellationToken: cts.Token);
            var inspect = await fixture.Docker.Containers.InspectContainerAsync(container, cts.Token);

            Assert.Equal("rotation-one-" + fixture.Prefix, first.Stdout);
            Assert.Equal("rotation-two-" + fixture.Prefix, second.Stdout);
            Assert.Equal("none", withoutToken.Stdout);
            Assert.Equal(startedBefore, inspect.State.StartedAt);
            Assert.DoesNotContain("rotation-", JsonSerializer.Serialize(inspect), StringComparison.Ordinal);
        }
        finally
        {
            AgentSandbox.WriteSecret(tokenFile, original);
        }
    }

    [SkippableFact]
    public async Task ForkBomb_HitsPidsLimit_WhileOtherAgentsStayResponsive()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var dev = $"{fixture.Prefix}-dev";
        var exec = await fixture.Docker.Exec.ExecCreateContainerAsync(dev, new ContainerExecCreateParameters
        {
            Cmd = ["bash", "-c", "bomb() { bomb | bomb & }; bomb"],
            User = "claude",
            AttachStdout = true,
            AttachStderr = true,
        }, cts.Token);
        using var bombOutput = await fixture.Docker.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, cts.Token);
        try
        {
            ulong peak = 0;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (peak < (ulong)DockerFixture.DevPidsLimit - 2 && DateTime.UtcNow < deadline)
            {
                peak = Math.Max(peak, await PidsAsync(dev, cts.Token));
                await Task.Delay(200, cts.Token);
            }

            var others = await Task.WhenAll(
                new AgentExec(fixture.Docker).RunAsync($"{fixture.Prefix}-reviewer", ["sh", "-c", "echo alive"], cancellationToken: cts.Token),
                new AgentExec(fixture.Docker).RunAsync($"{fixture.Prefix}-boss", ["sh", "-c", "echo alive"], cancellationToken: cts.Token));
            var pids = await PidsAsync(dev, cts.Token);

            Assert.InRange(peak, (ulong)DockerFixture.DevPidsLimit - 2, (ulong)DockerFixture.DevPidsLimit);
            Assert.InRange(pids, 0UL, (ulong)DockerFixture.DevPidsLimit);
            Assert.All(others, r => Assert.Equal("alive\n", r.Stdout));
        }
        finally
        {
            await fixture.Docker.Containers.KillContainerAsync(dev, new ContainerKillParameters(), CancellationToken.None);
            await fixture.Reconciler().UpAsync([fixture.Config.Find("dev")!], CancellationToken.None);
        }

        var recovered = await new AgentExec(fixture.Docker).RunAsync(dev, ["sh", "-c", "echo back"], cancellationToken: cts.Token);
        Assert.Equal("back\n", recovered.Stdout);
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

    private async Task<IList<ContainerListResponse>> ListAsync(CancellationToken cancellationToken) =>
        await fixture.Docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ResourceNames.Filter(fixture.Prefix) }, cancellationToken);

    private static async Task<string> HostInodeAsync(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var inode = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return inode.Trim();
    }
}
