using ClaudeHooks.Config;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using Docker.DotNet;

namespace ClaudeHooks.Tests.Dashboard;

/// <summary>The overview's problems: what /api/health reports of agents that cannot run, on a real database.</summary>
public sealed class OverviewPagesTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task BuildAsync_AgentWithoutItsForgeToken_ListsItAsAProblemWithTheFix()
    {
        var paths = new ClaudeHooksPaths(_home.Path);
        var config = ConfigLoader.Parse(Path.Combine(_home.Path, "agents.json"), """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" } } } }""", paths);
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_home.Path, "data"));
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri("unix:///nonexistent/docker.sock")).Build();
        var engine = new EngineSnapshot(docker, config, TimeProvider.System);

        var without = await OverviewPages.BuildAsync(config, engine, new SqliteTaskStore(database, TimeProvider.System), database, SecretRedactor.FormatsOnly, CancellationToken.None, paths);

        Assert.Contains(without.Problems, p => p.StartsWith($"agent dev cannot run: forge token {_home.Path}/tokens/dev: not found; ", StringComparison.Ordinal));
    }
}
