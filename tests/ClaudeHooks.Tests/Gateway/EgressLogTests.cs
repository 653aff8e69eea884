using ClaudeHooks.Gateway;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Gateway;

public sealed class EgressLogTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Record_ThenFlush_StoresEveryFieldWithAnId()
    {
        await using var log = await LogAsync();
        var sent = Request("dev", "t1", EgressRecord.Denied, Noon) with { Route = EgressRecord.ConnectRoute, Host = "evil.example:443", Method = "CONNECT", Status = 403, BytesIn = 120, BytesOut = 0, DurationMs = 3, Rule = "no rule allows evil.example" };

        log.Record(sent);
        await log.FlushAsync(CancellationToken.None);

        var stored = Assert.Single(await log.QueryAsync(All(), CancellationToken.None));
        Assert.True(stored.Id > 0);
        Assert.Equal(sent with { Id = stored.Id }, stored);
    }

    [Fact]
    public async Task Query_EachFilter_SelectsOnlyItsRecords()
    {
        await using var log = await LogAsync();
        log.Record(Request("dev", "t1", EgressRecord.Allowed, Noon.AddHours(-2)));
        log.Record(Request("dev", "t2", EgressRecord.Denied, Noon.AddHours(-1)));
        log.Record(Request("reviewer", "t3", EgressRecord.Allowed, Noon));
        log.Record(Request("reviewer", null, EgressRecord.Denied, Noon.AddMinutes(1)));
        await log.FlushAsync(CancellationToken.None);

        async Task<IEnumerable<string?>> Tasks(EgressQuery query) => (await log.QueryAsync(query, CancellationToken.None)).Select(r => r.TaskId);

        Assert.Equal(["t1", "t2"], await Tasks(All() with { Agent = "dev" }));
        Assert.Equal(["t3"], await Tasks(All() with { TaskId = "t3" }));
        Assert.Equal(["t2", null], await Tasks(All() with { Decision = EgressRecord.Denied }));
        Assert.Equal(["t2", "t3", null], await Tasks(All() with { Since = Noon.AddHours(-1) }));
        Assert.Equal([null], await Tasks(All() with { Agent = "reviewer", Decision = EgressRecord.Denied, Since = Noon }));
        Assert.Empty(await Tasks(All() with { Agent = "nobody" }));
    }

    [Fact]
    public async Task Query_AfterId_PagesInIdOrder_AndLatestTakesTheNewest()
    {
        await using var log = await LogAsync();
        for (var i = 0; i < 7; i++)
        {
            log.Record(Request("dev", $"t{i}", EgressRecord.Allowed, Noon.AddSeconds(i)));
        }

        await log.FlushAsync(CancellationToken.None);

        var first = await log.QueryAsync(All() with { Limit = 3 }, CancellationToken.None);
        var second = await log.QueryAsync(All() with { Limit = 3, AfterId = first[^1].Id }, CancellationToken.None);
        var third = await log.QueryAsync(All() with { Limit = 3, AfterId = second[^1].Id }, CancellationToken.None);
        var latest = await log.QueryAsync(All() with { Limit = 2, Latest = true }, CancellationToken.None);

        Assert.Equal(["t0", "t1", "t2", "t3", "t4", "t5", "t6"], first.Concat(second).Concat(third).Select(r => r.TaskId));
        Assert.Single(third);
        Assert.Equal(["t5", "t6"], latest.Select(r => r.TaskId));
        Assert.True(latest[0].Id < latest[1].Id);
    }

    [Theory]
    [InlineData("/v1/messages?beta=true", "/v1/messages")]
    [InlineData("/o/r.git/info/refs?service=git-upload-pack", "/o/r.git/info/refs")]
    [InlineData("/search?q=token%3Dsecret#frag", "/search")]
    [InlineData("/page#section", "/page")]
    [InlineData("?only=query", "")]
    [InlineData("/plain", "/plain")]
    public async Task Record_PathWithQuery_StoresThePathOnly(string path, string stored)
    {
        await using var log = await LogAsync();

        log.Record(Request("dev", "t1", EgressRecord.Allowed, Noon) with { Path = path });
        await log.FlushAsync(CancellationToken.None);

        Assert.Equal(stored, Assert.Single(await log.QueryAsync(All(), CancellationToken.None)).Path);
    }

    [Fact]
    public async Task Record_LongTexts_AreClipped()
    {
        await using var log = await LogAsync();

        log.Record(Request("dev", "t1", EgressRecord.Denied, Noon) with { Host = new string('h', 5000), Path = "/" + new string('p', 5000) + "?x=1", Rule = new string('r', 2000), Method = new string('M', 100) });
        await log.FlushAsync(CancellationToken.None);

        var stored = Assert.Single(await log.QueryAsync(All(), CancellationToken.None));
        Assert.Equal(EgressLog.MaxTextLength, stored.Host.Length);
        Assert.Equal(EgressLog.MaxTextLength, stored.Path.Length);
        Assert.Equal(EgressLog.MaxTextLength, stored.Rule.Length);
        Assert.True(stored.Method.Length < 100);
    }

    [Fact]
    public async Task Record_UnknownDecision_IsRefused()
    {
        await using var log = await LogAsync();

        var error = Assert.Throws<ArgumentException>(() => log.Record(Request("dev", "t1", "maybe", Noon)));

        Assert.Contains("\"allowed\" or \"denied\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_OlderThan_DeletesOnlyOlderRecords()
    {
        await using var log = await LogAsync();
        log.Record(Request("dev", "old", EgressRecord.Allowed, Noon.AddDays(-20)));
        log.Record(Request("dev", "edge", EgressRecord.Allowed, Noon.AddDays(-14)));
        log.Record(Request("dev", "new", EgressRecord.Allowed, Noon.AddDays(-1)));
        await log.FlushAsync(CancellationToken.None);

        var purged = await log.PurgeAsync(Noon.AddDays(-14), CancellationToken.None);

        Assert.Equal(1, purged);
        Assert.Equal(["edge", "new"], (await log.QueryAsync(All(), CancellationToken.None)).Select(r => r.TaskId));
        Assert.Equal(0, await log.PurgeAsync(Noon.AddDays(-14), CancellationToken.None));
    }

    [Fact]
    public async Task Record_QueueFull_ReturnsAtOnce_CountsDrops_AndWarnsOncePerMinute()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var clock = new ManualClock(Noon);
        var logger = new ListLogger<EgressLog>();
        await using var log = new EgressLog(database, clock, logger, capacity: 4);

        // The writer's first batch waits on this lock, so the queue fills behind it.
        await using (var blocker = await database.OpenAsync())
        {
            await using var transaction = (SqliteTransaction)await blocker.BeginTransactionAsync();

            // Run elsewhere so a Record that blocked would fail the test instead of hanging it.
            void Flood()
            {
                for (var i = 0; i < 1_000; i++)
                {
                    log.Record(Request("dev", "t1", EgressRecord.Allowed, Noon));
                }
            }

            await Task.Run(Flood).WaitAsync(TimeSpan.FromSeconds(30));
            var warningsWithinAMinute = logger.Warnings.Count;
            clock.Advance(TimeSpan.FromSeconds(61));
            await Task.Run(Flood).WaitAsync(TimeSpan.FromSeconds(30));

            // Only the writer's first batch (at most 256) and the queue (4) can have taken records.
            Assert.True(log.Dropped >= 2_000 - 256 - 4, $"only {log.Dropped} dropped");
            Assert.Equal(1, warningsWithinAMinute);
            Assert.Equal(2, logger.Warnings.Count);
            Assert.Contains("dropped", logger.Warnings[0], StringComparison.Ordinal);
            await transaction.RollbackAsync();
        }

        await log.FlushAsync(CancellationToken.None);

        var stored = await log.QueryAsync(All() with { Limit = 10_000 }, CancellationToken.None);
        Assert.Equal(2_000 - log.Dropped, stored.Count);
    }

    [Fact]
    public async Task Recorded_IsRaisedAfterStoring_WithTheStoredId()
    {
        await using var log = await LogAsync();
        var seen = new List<EgressRecord>();
        log.Recorded += r =>
        {
            lock (seen)
            {
                seen.Add(r);
            }
        };
        log.Recorded += _ => throw new InvalidOperationException("a broken handler");

        log.Record(Request("dev", "t1", EgressRecord.Denied, Noon) with { Path = "/x?secret=1" });
        log.Record(Request("dev", "t2", EgressRecord.Allowed, Noon));
        await log.FlushAsync(CancellationToken.None);

        var stored = await log.QueryAsync(All(), CancellationToken.None);
        lock (seen)
        {
            Assert.Equal(stored, seen);
        }
    }

    [Fact]
    public async Task DisposeAsync_StoresEverythingQueued()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var log = new EgressLog(database, TimeProvider.System, new ListLogger<EgressLog>());
        for (var i = 0; i < 1_000; i++)
        {
            log.Record(Request("dev", "t1", EgressRecord.Allowed, Noon));
        }

        await log.DisposeAsync();
        log.Record(Request("dev", "late", EgressRecord.Allowed, Noon));
        await log.FlushAsync(CancellationToken.None);

        Assert.Equal(1_000, (await log.QueryAsync(All() with { Limit = 5_000 }, CancellationToken.None)).Count);
        Assert.Equal(1, log.Dropped);
    }

    private async Task<EgressLog> LogAsync() =>
        new(await Database.OpenAndMigrateAsync(_data.Path), TimeProvider.System, new ListLogger<EgressLog>());

    private static EgressQuery All() => new(null, null, null, null, null, 100);

    private static EgressRecord Request(string agent, string? task, string decision, DateTimeOffset time) =>
        new(0, time, task, agent, EgressRecord.ModelRoute, "api.anthropic.com", "POST", "/v1/messages", 200, 4096, 512, 850, decision, "model route: /v1/messages");
}
