using System.Text.Json;
using ClaudeHooks.Cli;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.Tests.Config;

namespace ClaudeHooks.Tests.Cli;

/// <summary><c>--json</c> of the verbs that report from the database or the config, printed by the real executable, parses.</summary>
public sealed class JsonOutputTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _home.Dispose();
    }

    [Fact]
    public async Task DbBackup_Json_NamesTheCopyItsSizeAndSchema()
    {
        var data = Path.Combine(_home.Path, "data");
        await Database.OpenAndMigrateAsync(data);
        var target = Path.Combine(_home.Path, "copy.db");

        var (code, output, _) = await RunAsync("db", "backup", target, "--data-dir", data, "--json");

        Assert.Equal(ExitCodes.Success, code);
        var copy = JsonDocument.Parse(output).RootElement;
        Assert.Equal(target, copy.GetProperty("path").GetString());
        Assert.Equal(new FileInfo(target).Length, copy.GetProperty("bytes").GetInt64());
        Assert.True(copy.GetProperty("schema_version").GetInt32() > 0);
    }

    [Fact]
    public async Task ForgeDeliveries_Json_OneObjectPerDelivery()
    {
        var data = Path.Combine(_home.Path, "data");
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(data), TimeProvider.System);
        await store.RecordDeliveryAsync("d-1", "issue_comment", "created", "o/ré", "{}"u8.ToArray(), CancellationToken.None);

        var (code, output, _) = await RunAsync("forge", "deliveries", "--data-dir", data, "--json", "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"));

        Assert.Equal(ExitCodes.Success, code);
        var delivery = JsonDocument.Parse(Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("d-1", delivery.GetProperty("id").GetString());
        Assert.Equal("o/ré", delivery.GetProperty("repo").GetString());
        Assert.Contains("o/ré", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImagesResolve_Json_TheChainAndTheDecision_BuiltUnknownWithoutAnEngine()
    {
        var (code, output, _) = await RunAsync("images", "resolve", "--agent", "dev", "--json", "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"));

        Assert.Equal(ExitCodes.Success, code);
        var resolved = JsonDocument.Parse(output).RootElement;
        Assert.Equal("dev", resolved.GetProperty("agent").GetString());
        Assert.False(string.IsNullOrEmpty(resolved.GetProperty("image").GetString()));
        Assert.Single(resolved.GetProperty("levels").EnumerateArray(), l => l.GetProperty("decides").GetBoolean());
        Assert.Equal(JsonValueKind.Null, resolved.GetProperty("built").ValueKind);
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        CliProcess.RunAsync(new Dictionary<string, string?> { ["CLAUDE_HOOKS_HOME"] = _home.Path, ["DOCKER_HOST"] = $"unix://{_home.Path}/no-engine.sock" }, args);
}
