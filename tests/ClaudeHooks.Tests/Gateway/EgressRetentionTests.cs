using ClaudeHooks.Config;
using ClaudeHooks.Gateway;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Gateway;

public sealed class EgressRetentionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Purge_DeletesWhatIsOlderThanTheConfiguredRetention()
    {
        var config = ConfigLoader.Parse("/etc/claude-hooks/agents.json", """
            { "service": { "egress_retention": "2d" }, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }
            """, new ClaudeHooksPaths(_data.Path));
        var clock = new ManualClock(Now);
        await using var log = new EgressLog(await Database.OpenAndMigrateAsync(Path.Combine(_data.Path, "db")), clock, new ListLogger<EgressLog>());
        foreach (var (task, age) in new[] { ("old", TimeSpan.FromDays(3)), ("recent", TimeSpan.FromDays(1)) })
        {
            log.Record(new EgressRecord(0, Now - age, task, "dev", EgressRecord.GitRoute, "forge.example", "GET", "/o/r.git/info/refs", 200, 10, 10, 1, EgressRecord.Allowed, "git route: task repository"));
        }

        await log.FlushAsync(CancellationToken.None);
        var retention = new EgressRetention(log, config, clock, new ListLogger<EgressRetention>());

        Assert.Equal(1, await retention.PurgeAsync(CancellationToken.None));
        Assert.Equal(["recent"], (await log.QueryAsync(new EgressQuery(null, null, null, null, null, 10), CancellationToken.None)).Select(r => r.TaskId));
    }
}
