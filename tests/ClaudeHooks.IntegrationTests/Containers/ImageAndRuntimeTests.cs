using System.Formats.Tar;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Workdir;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.IntegrationTests.Containers;

/// <summary>A rebuilt image is noticed by <c>containers up</c>; a repository's runtime is what its sandboxes run under, for every runtime the engine offers.</summary>
[Collection(DockerCollection.Name)]
public sealed class ImageAndRuntimeTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [SkippableFact]
    public async Task Up_AfterTheAgentsImageIsRebuiltUnderItsTag_ReplacesItsContainerAndWarmSandbox()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var tag = $"{fixture.Prefix}-fresh:latest";
        var original = fixture.Config.Find("reviewer")!;
        var reviewer = original with { Image = tag, OwnImage = tag, WarmSandboxes = 1 };
        var config = fixture.Config with { Agents = [reviewer] };
        var reconciler = new ContainerReconciler(fixture.Docker, config, NullLogger<ContainerReconciler>.Instance);
        await using var pool = new SandboxManager(fixture.Runtime, config, fixture.Gateway, NullLogger<SandboxManager>.Instance);
        try
        {
            var first = await BuildDerivedAsync(tag, "1", cts.Token);
            var created = Assert.Single(await reconciler.UpAsync([reviewer], cts.Token));
            var before = await fixture.Docker.Containers.InspectContainerAsync($"{fixture.Prefix}-reviewer", cts.Token);
            await pool.MaintainAsync(cts.Token);
            var warmBefore = Assert.Single(await WarmAsync(cts.Token));
            Assert.Equal(first, warmBefore.ImageID);
            Assert.Contains("recreated", created, StringComparison.Ordinal);

            Assert.Empty(await ImageIntegrity.DifferencesAsync(fixture.Docker, Stacks.BaseImage, tag, cts.Token));

            // Nothing changed: adopted as it is.
            Assert.Contains("already running, adopted", Assert.Single(await reconciler.UpAsync([reviewer], cts.Token)), StringComparison.Ordinal);

            var second = await BuildDerivedAsync(tag, "2", cts.Token);
            var results = await reconciler.UpAsync([reviewer], cts.Token);

            var after = await fixture.Docker.Containers.InspectContainerAsync($"{fixture.Prefix}-reviewer", cts.Token);
            Assert.NotEqual(before.ID, after.ID);
            Assert.Equal(second, after.Image);
            Assert.Contains(results, r => r.Contains($"recreated, {tag} was rebuilt", StringComparison.Ordinal) && r.Contains("volumes kept", StringComparison.Ordinal));
            Assert.Contains(results, r => r.Contains("1 warm sandbox(es) of an older build", StringComparison.Ordinal));
            Assert.DoesNotContain(await WarmAsync(cts.Token), w => w.ImageID == first);

            // The pool sees its warm sandbox gone and makes one of the new build.
            var sandbox = await pool.AcquireAsync(reviewer, Guid.NewGuid().ToString("N"), cts.Token);
            try
            {
                Assert.Equal(second, (await fixture.Docker.Containers.InspectContainerAsync(sandbox.Id, cts.Token)).Image);
            }
            finally
            {
                await pool.ReleaseAsync(sandbox);
            }
        }
        finally
        {
            await fixture.Reconciler().UpAsync([original], CancellationToken.None);
            await pool.DisposeAsync();
            await fixture.Docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters { Force = true }, CancellationToken.None);
        }
    }

    [SkippableFact]
    public async Task RepositoryRuntime_EveryRuntimeTheEngineOffers_RunsTheTasksSandboxHardened()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var runtimes = (await fixture.Docker.System.GetSystemInfoAsync(cts.Token)).Runtimes.Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Contains("runc", runtimes);
        var dev = fixture.Config.Find("dev")!;

        foreach (var runtime in runtimes)
        {
            var repository = new RepositorySettings("http://127.0.0.1:9/rt/*", null, null, [], null, null, null, RepositoryRunnerLimits.None,
                new RepositoryContainerLimits(runtime, 256L << 20, null, 64), null, TimeSpan.FromMinutes(1));
            var config = fixture.Config with { Repositories = [repository] };
            var profile = TaskProfile.Resolve(config, dev, RepositoryUrl.Parse("http://127.0.0.1:9/rt/app", false), null);
            Assert.Equal(runtime, profile.Container.Runtime);
            await using var manager = new SandboxManager(fixture.Runtime, config, fixture.Gateway, NullLogger<SandboxManager>.Instance);
            var sandbox = await manager.AcquireAsync(dev, Guid.NewGuid().ToString("N"), cts.Token, profile);
            try
            {
                var inspect = await fixture.Docker.Containers.InspectContainerAsync(sandbox.Id, cts.Token);
                Assert.Equal(runtime, inspect.HostConfig!.Runtime);
                Assert.Equal(("none", 256L << 20, 64L), (inspect.HostConfig.NetworkMode, inspect.HostConfig.Memory, inspect.HostConfig.PidsLimit ?? 0));
                Assert.False(sandbox.Warm);

                // The hardening holds under each runtime, and no engine socket is anywhere in reach.
                var probe = await fixture.Runtime.ExecAsync(sandbox.Id, ["sh", "-c",
                    "id -u; grep -c . /proc/net/dev; grep NoNewPrivs /proc/self/status | tr -d '\\t '; grep CapEff /proc/self/status | tr -d '\\t '; " +
                    "touch /usr/probe 2>/dev/null && echo root-writable || echo root-read-only; " +
                    "ls /var/run/docker.sock /run/docker.sock 2>&1 | grep -c 'No such file'"], user: "claude", cancellationToken: cts.Token);
                Assert.Equal(["1000", "3", "NoNewPrivs:1", "CapEff:0000000000000000", "root-read-only", "2"], probe.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
            finally
            {
                await manager.ReleaseAsync(sandbox);
            }
        }
    }

    [SkippableFact]
    public async Task Audit_ARepositorysImageThatLoosensClaudesPolicy_Fails_WhileAStackImagePasses()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var loose = $"{fixture.Prefix}-loose:latest";
        var stack = Stacks.Image("python");
        var reviewer = fixture.Config.Find("reviewer")!;
        RepositorySettings Entry(string key, string image) =>
            new(key, image, null, [], null, null, null, RepositoryRunnerLimits.None, RepositoryContainerLimits.None, null, TimeSpan.FromMinutes(1));
        var config = fixture.Config with { Repositories = [Entry("http://127.0.0.1:9/loose/*", loose), Entry("http://127.0.0.1:9/py/*", stack)] };
        try
        {
            // An image of the operator's that hooks could be loaded in: managed settings that allow every hook.
            await BuildDerivedAsync(loose, "loose", cts.Token, "USER root\nRUN echo '{}' > /etc/claude-code/managed-settings.json\nUSER claude\n");

            var findings = await new ContainerAuditor(fixture.Runtime, config, fixture.Paths, fixture.Gateway, new HashSet<string>()).AuditAsync([reviewer], "stand-in-" + fixture.Prefix, cts.Token);

            // What images create checks after a build: the policy file differs from the base's, nothing else does.
            var changed = Assert.Single(await ImageIntegrity.DifferencesAsync(fixture.Docker, Stacks.BaseImage, loose, cts.Token));
            Assert.Contains($"{loose} changes what {Stacks.BaseImage} has (/etc/claude-code/managed-settings.json:", changed, StringComparison.Ordinal);

            var policy = Assert.Single(findings, f => f.Check == $"Claude policy is the service's [{loose}]");
            Assert.False(policy.Passed);
            Assert.Contains($"/etc/claude-code in {loose} holds [managed-settings.json] and its managed settings differ from the service's", policy.Detail, StringComparison.Ordinal);
            if (await ExistsAsync(stack, cts.Token))
            {
                Assert.True(Assert.Single(findings, f => f.Check == $"Claude policy is the service's [{stack}]").Passed);
            }

            Assert.All(findings.Where(f => !f.Check.EndsWith($"[{loose}]", StringComparison.Ordinal)), f => Assert.True(f.Passed, $"{f.Check}: {f.Detail}"));
        }
        finally
        {
            await fixture.Docker.Images.DeleteImageAsync(loose, new ImageDeleteParameters { Force = true }, CancellationToken.None);
        }
    }

    [SkippableFact]
    public async Task Sandbox_OfAnImageThatMapsTheAgentsUserToRoot_IsNeverUsed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var rooted = $"{fixture.Prefix}-rooted:latest";
        var dev = fixture.Config.Find("dev")!;
        var repository = new RepositorySettings("http://127.0.0.1:9/rooted/*", rooted, null, [], null, null, null, RepositoryRunnerLimits.None, RepositoryContainerLimits.None, null, TimeSpan.FromMinutes(1));
        var config = fixture.Config with { Repositories = [repository] };
        try
        {
            // Its Dockerfile ends as USER claude, and claude is uid 0.
            await BuildDerivedAsync(rooted, "rooted", cts.Token, "USER root\nRUN sed -i 's/^claude:x:1000:1000:/claude:x:0:0:/' /etc/passwd\nUSER claude\n");
            var profile = TaskProfile.Resolve(config, dev, RepositoryUrl.Parse("http://127.0.0.1:9/rooted/app", false), null);
            await using var manager = new SandboxManager(fixture.Runtime, config, fixture.Gateway, NullLogger<SandboxManager>.Instance);

            var refused = await Assert.ThrowsAsync<SandboxException>(() => manager.AcquireAsync(dev, Guid.NewGuid().ToString("N"), cts.Token, profile));

            Assert.Contains($"image {rooted} runs the agent's user claude as root (uid 0); its tasks never run there", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(await SandboxManager.ListAsync(fixture.Runtime, fixture.Prefix, cts.Token), c => c.Image == rooted);
        }
        finally
        {
            await fixture.Docker.Images.DeleteImageAsync(rooted, new ImageDeleteParameters { Force = true }, CancellationToken.None);
        }
    }

    private async Task<bool> ExistsAsync(string image, CancellationToken cancellationToken)
    {
        try
        {
            await fixture.Docker.Images.InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (Docker.DotNet.DockerImageNotFoundException)
        {
            return !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
                ? false
                : throw new InvalidOperationException($"CI=true and {image} is not built; scripts/test builds every stack");
        }
    }

    private async Task<IReadOnlyList<ContainerListResponse>> WarmAsync(CancellationToken cancellationToken) =>
        [.. (await SandboxManager.ListAsync(fixture.Runtime, fixture.Prefix, cancellationToken)).Where(c => c.Names.Any(n => n.StartsWith($"/{fixture.Prefix}-reviewer-warm-", StringComparison.Ordinal)))];

    /// <summary>Builds a one-label image on the agent base under <paramref name="tag"/>: each build a new image id.</summary>
    private async Task<string> BuildDerivedAsync(string tag, string build, CancellationToken cancellationToken, string extra = "")
    {
        using var context = new MemoryStream();
        await using (var tar = new TarWriter(context, TarEntryFormat.Pax, leaveOpen: true))
        {
            var dockerfile = System.Text.Encoding.UTF8.GetBytes($"FROM {Stacks.BaseImage}\nLABEL org.claude-hooks.test-build=\"{build}-{Guid.NewGuid():N}\"\n{extra}");
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "Dockerfile") { DataStream = new MemoryStream(dockerfile) }, cancellationToken);
        }

        context.Position = 0;
        await fixture.Docker.Images.BuildImageFromDockerfileAsync(new ImageBuildParameters { Tags = [tag], Remove = true }, context, null, null, new Progress<JSONMessage>(), cancellationToken);
        return (await fixture.Docker.Images.InspectImageAsync(tag, cancellationToken)).ID;
    }
}
