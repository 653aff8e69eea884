using System.Security.Cryptography;
using ClaudeHooks.Containers;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.IntegrationTests.Containers;

/// <summary>
/// <c>images create</c> against the real engine: a custom image from the base stack plus a Debian package passes the
/// derived-image audit, inherits the base's user, healthcheck and CLI, and its tool runs in a task sandbox with the
/// default hardening. npm and pip packages are covered at the Dockerfile level only: a build container cannot reach a
/// fake registry on host loopback, and tests send nothing to any other address.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class CustomImageTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    [SkippableFact]
    public async Task Create_FromBaseWithApt_PassesTheAudit_InheritsTheBase_AndRunsInAHardenedSandbox()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var image = new CustomImage($"it-jq-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}", Stacks.Base, ["jq"], [], []);
        var output = new List<string>();
        try
        {
            Assert.Empty(image.Validate());
            Assert.Null(await image.BaseProblemAsync(fixture.Docker, cts.Token));
            Assert.Empty(await image.AuditAsync(fixture.Docker, cts.Token));

            var built = await image.BuildAsync(fixture.Docker, null, output.Add, cts.Token);

            var inspect = await fixture.Docker.Images.InspectImageAsync(image.Tag, cts.Token);
            var parent = await fixture.Docker.Images.InspectImageAsync(Stacks.BaseImage, cts.Token);
            Assert.Equal(inspect.ID, built.Id);
            Assert.True(built.SizeBytes > parent.Size, $"{built.SizeBytes} <= {parent.Size}");
            var labels = inspect.Config!.Labels!;
            Assert.Equal($"custom-{image.Name}", labels[CustomImage.ImageLabel]);
            Assert.Equal(Stacks.Base, labels[CustomImage.FromLabel]);
            Assert.Equal("jq", labels[CustomImage.AptLabel]);
            Assert.Equal("", labels[CustomImage.NpmLabel]);
            Assert.Equal("", labels[CustomImage.PipLabel]);
            Assert.Equal(parent.Config!.Labels![BaseImageFacts.ClaudeCodeVersionLabel], labels[BaseImageFacts.ClaudeCodeVersionLabel]);
            Assert.Equal("claude", inspect.Config.User);
            Assert.Equal(parent.Config.Healthcheck!.Test, inspect.Config.Healthcheck!.Test);
            Assert.Equal(parent.Config.Entrypoint, inspect.Config.Entrypoint);
            Assert.Empty(DockerfileAuditor.Audit(image.Dockerfile(), "Dockerfile", _ => BaseImageFacts.From(inspect)));

            var dev = fixture.Config.Find("dev")! with { Image = image.Tag, WarmSandboxes = 0 };
            await using var sandboxes = new SandboxManager(fixture.Runtime, fixture.Config with { Agents = [dev] }, fixture.Gateway, NullLogger<SandboxManager>.Instance);
            var sandbox = await sandboxes.AcquireAsync(dev, Guid.NewGuid().ToString("N"), cts.Token);
            try
            {
                var container = await fixture.Docker.Containers.InspectContainerAsync(sandbox.Id, cts.Token);
                Assert.Equal(inspect.ID, container.Image);
                Assert.Equal("claude", container.Config!.User);
                Assert.True(container.HostConfig!.ReadonlyRootfs);
                Assert.Contains("ALL", container.HostConfig.CapDrop!);
                Assert.Equal("none", container.HostConfig.NetworkMode);

                var version = await fixture.Runtime.ExecAsync(sandbox.Id, ["jq", "--version"], cancellationToken: cts.Token);
                var who = await fixture.Runtime.ExecAsync(sandbox.Id, ["sh", "-c", "id -un; printf '{\"a\":41}' | jq '.a + 1'"], cancellationToken: cts.Token);

                Assert.True(version.ExitCode == 0, version.Stderr);
                Assert.StartsWith("jq-", version.Stdout.Trim(), StringComparison.Ordinal);
                Assert.Equal("claude\n42", who.Stdout.Trim());
            }
            finally
            {
                await sandboxes.ReleaseAsync(sandbox);
            }
        }
        finally
        {
            try
            {
                await fixture.Docker.Images.DeleteImageAsync(image.Tag, new ImageDeleteParameters { Force = true }, CancellationToken.None);
            }
            catch (Docker.DotNet.DockerImageNotFoundException)
            {
                // The build failed before tagging it.
            }
        }
    }
}
