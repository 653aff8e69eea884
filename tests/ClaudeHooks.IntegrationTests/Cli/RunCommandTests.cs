using System.Diagnostics;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Cli;

/// <summary><c>claude-hooks run</c> as a user runs it: a process of its own, a sandbox of its own, the branch pushed.</summary>
[Collection(DockerCollection.Name)]
public sealed class RunCommandTests(DockerFixture fixture)
{
    [SkippableFact]
    public async Task Run_OneTaskWithoutTheService_PushesItsCommit_AndLeavesNoSandbox()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        fixture.Git.RequiredToken = fixture.DevToken;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"run-{id}", new Dictionary<string, string> { ["README.md"] = "# run\n" });
        fixture.Model.EnqueueFor($"cli-run-{id}",
            ScriptedTurn.Bash("echo cli > cli.txt && git add cli.txt && git commit -qm 'from claude-hooks run' && echo ok"),
            ScriptedTurn.Text("Committed from the command line."));
        var data = Directory.CreateTempSubdirectory("claude-hooks-run-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "run", "--config", fixture.ConfigFile, "--data-dir", data, "--agent", "dev", "--repo", repo, "--thread", "issue-95", $"cli-run-{id}: add a file" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["CLAUDE_HOOKS_HOME"] = fixture.Home;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(cts.Token);
            var error = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);

            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await output}\n{await error}");
            Assert.Contains("succeeded", await output, StringComparison.Ordinal);
            Assert.Contains("pushed 1 commit(s)", await output, StringComparison.Ordinal);
            Assert.Equal("from claude-hooks run", (await GitHttpServer.GitAsync(fixture.Git.BarePath("it-owner", $"run-{id}"), "log", "-1", "--format=%s", "refs/heads/dev/issue-95")).Trim());
            Assert.DoesNotContain(await fixture.SandboxNamesAsync(cts.Token), n => !n.Contains("-warm-", StringComparison.Ordinal));
            Assert.DoesNotContain(await fixture.Sandboxes.ListAsync(fixture.Prefix, cts.Token), c => c.Labels![ResourceNames.PoolLabel] != fixture.Sandboxes.PoolId);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
