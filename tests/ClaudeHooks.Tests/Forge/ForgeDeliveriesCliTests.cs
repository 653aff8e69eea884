using ClaudeHooks.Cli;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.Tests.Cli;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Forge;

/// <summary><c>claude-hooks forge deliveries</c> run in-process against a database of its own.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class ForgeDeliveriesCliTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");

    public ForgeDeliveriesCliTests()
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
    public async Task Deliveries_ListsPendingAndDead_AndDeadFiltersThem_WithErrorsInert()
    {
        var data = Path.Combine(_home.Path, "data");
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(data), TimeProvider.System);
        await store.RecordDeliveryAsync("retrying-1", "issue_assign", "assigned", "acme/widgets", "{}"u8.ToArray(), CancellationToken.None);
        await store.RecordDeliveryAsync("dead-2", "pull_request_review_request", "review_requested", "acme/widgets", "{}"u8.ToArray(), CancellationToken.None);
        await store.PostponeDeliveryAsync("retrying-1", "the forge answered 502", DateTimeOffset.UtcNow.AddMinutes(2), CancellationToken.None);
        await store.AbandonDeliveryAsync("dead-2", "boom\u001b[31m", $"dead: boom\u001b[31m after {ForgeDispatcher.MaxAttempts} attempts", CancellationToken.None);

        var (code, all, _) = await RunAsync("forge", "deliveries", "--data-dir", data);
        var (deadCode, dead, _) = await RunAsync("forge", "deliveries", "--dead", "--data-dir", data);

        Assert.Equal((ExitCodes.Success, ExitCodes.Success), (code, deadCode));
        Assert.Contains("retrying-1", all, StringComparison.Ordinal);
        Assert.Contains($"pending: attempt 1 of {ForgeDispatcher.MaxAttempts} failed (the forge answered 502); next attempt", all, StringComparison.Ordinal);
        Assert.Contains("issue_assign/assigned", all, StringComparison.Ordinal);
        Assert.DoesNotContain("retrying-1", dead, StringComparison.Ordinal);
        Assert.Contains($"dead: boom?[31m after {ForgeDispatcher.MaxAttempts} attempts", dead, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', all);
    }

    [Fact]
    public async Task Deliveries_NoDatabase_NamesTheDataDirectoryOptionAndCreatesNothing()
    {
        var data = Path.Combine(_home.Path, "empty");

        var (code, _, error) = await RunAsync("forge", "deliveries", "--data-dir", data);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.StartsWith($"error: no database in {data}; pass the service's --data-dir", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data));
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await CliApp.Build().Parse(args).InvokeAsync();
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }
}
