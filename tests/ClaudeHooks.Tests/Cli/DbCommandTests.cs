using ClaudeHooks.Cli;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Cli;

/// <summary><c>claude-hooks db backup</c> run in-process, and how a database from a newer build is reported.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class DbCommandTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");

    public DbCommandTests()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _home.Path);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _previousHome);
        SqliteConnection.ClearAllPools();
        _home.Dispose();
    }

    [Fact]
    public async Task Backup_PrintsWhatWasCopied_ThenRefusesTheSamePath()
    {
        var data = Path.Combine(_home.Path, "data");
        await Database.OpenAndMigrateAsync(data);
        var target = Path.Combine(_home.Path, "backup.db");

        var (code, output, error) = await RunAsync("db", "backup", target, "--data-dir", data);

        Assert.Equal((ExitCodes.Success, ""), (code, error));
        Assert.Equal($"backed up {Path.Combine(data, Database.FileName)} to {target}: {new FileInfo(target).Length} bytes, schema version {Migrator.LatestVersion}{Environment.NewLine}", output);

        (code, _, error) = await RunAsync("db", "backup", target, "--data-dir", data);

        Assert.Equal(ExitCodes.OperationFailed, code);
        Assert.Equal($"error: {target} already exists; choose another path (a backup never replaces a file){Environment.NewLine}", error);
    }

    [Fact]
    public async Task Backup_NoDatabase_NamesTheDataDirectoryOptionAndCreatesNothing()
    {
        var data = Path.Combine(_home.Path, "empty");

        var (code, _, error) = await RunAsync("db", "backup", Path.Combine(_home.Path, "backup.db"), "--data-dir", data);

        Assert.Equal(ExitCodes.OperationFailed, code);
        Assert.StartsWith($"error: no database at {Path.Combine(data, Database.FileName)}; pass --data-dir DIR", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data));
        Assert.False(File.Exists(Path.Combine(_home.Path, "backup.db")));
    }

    [Fact]
    public async Task RunAsync_SchemaNewerThanThisBuild_IsOneErrorLineAndExitsOne()
    {
        var data = Path.Combine(_home.Path, "data");
        var database = await Database.OpenAndMigrateAsync(data);
        await using (var connection = await database.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"INSERT INTO schema_migrations (version, name, applied_at) VALUES ({Migrator.LatestVersion + 1}, 'future', '2030-01-01T00:00:00Z')";
            await command.ExecuteNonQueryAsync();
        }

        var (code, _, error) = await CaptureAsync(() => CommandContext.RunAsync(null, async _ =>
        {
            await Database.OpenAndMigrateAsync(data);
            return ExitCodes.Success;
        }));

        Assert.Equal(ExitCodes.CheckFailed, code);
        Assert.StartsWith($"error: the database in {data} has schema version {Migrator.LatestVersion + 1}", error, StringComparison.Ordinal);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        CaptureAsync(() => CliApp.Build().Parse(args).InvokeAsync());

    private static async Task<(int Code, string Output, string Error)> CaptureAsync(Func<Task<int>> action)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await action();
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }
}
