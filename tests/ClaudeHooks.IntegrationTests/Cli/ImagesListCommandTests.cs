using System.Diagnostics;
using System.Text.Json;
using ClaudeHooks.Containers;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.IntegrationTests.Cli;

/// <summary><c>claude-hooks images list --json</c> as a process against the real engine, with an image of this test's own.</summary>
public sealed class ImagesListCommandTests
{
    [SkippableFact]
    public async Task List_Json_OneParsableObjectPerAgentImage_IncludingOneJustBuilt()
    {
        using var docker = DockerConnection.Create();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await DockerConnection.EnsureReachableAsync(docker, cts.Token);
        }
        catch (EngineUnavailableException e) when (Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip.If(true, $"NO DOCKER ENGINE: {e.Message}");
        }

        var tag = $"claude-hooks/clitest-{Guid.NewGuid():N}"[..40] + ":latest";
        var context = Directory.CreateTempSubdirectory("claude-hooks-images-list-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM {Stacks.BaseImage}\nLABEL org.claude-hooks.test=images-list\n", cts.Token);
            var built = await new ImageBuilder(docker).BuildAsync(new ImageBuildRequest(context, tag), _ => { }, cts.Token);

            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "images", "list", "--json"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["CLAUDE_HOOKS_HOME"] = context;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(cts.Token);
            var error = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);

            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await error}");
            var images = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var mine = Assert.Single(images, i => i.GetProperty("tag").GetString() == tag);
            Assert.Equal(built.Id, mine.GetProperty("id").GetString());
            Assert.Equal(built.SizeBytes, mine.GetProperty("size_bytes").GetInt64());
            Assert.Contains(images, i => i.GetProperty("tag").GetString() == Stacks.BaseImage && i.GetProperty("claude_code").ValueKind == JsonValueKind.String);
        }
        finally
        {
            try
            {
                await docker.Images.DeleteImageAsync(tag, new ImageDeleteParameters { Force = true }, CancellationToken.None);
            }
            catch (DockerImageNotFoundException)
            {
            }

            Directory.Delete(context, recursive: true);
        }
    }
}
