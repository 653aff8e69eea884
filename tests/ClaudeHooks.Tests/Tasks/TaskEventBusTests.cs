using System.Text;
using System.Text.Json;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Tasks;

public sealed class TaskEventBusTests : IDisposable
{
    private const long Cap = 64 * 1024;
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task PublishAsync_ThreeTimesTheCap_StoresAtMostTheCapPlusOneMarker()
    {
        var store = await StoreAsync("a");
        var bus = new TaskEventBus(store, maxTaskEventBytes: Cap);
        var line = Line(1000);
        var published = 0L;
        while (published < 3 * Cap)
        {
            await bus.PublishAsync("a", "assistant", line, CancellationToken.None);
            published += Size("assistant", line);
        }

        var summary = await bus.FinishAsync("a", CancellationToken.None);
        await bus.FinishAsync("a", CancellationToken.None);

        var events = await store.GetEventsAsync("a", 0, CancellationToken.None);
        var marker = Assert.Single(events, e => e.Type == TaskEventBus.TruncatedType);
        Assert.Same(marker, events[^1]);
        Assert.True(events.Sum(e => Size(e.Type, e.Data)) <= Cap + Size(marker.Type, marker.Data));
        Assert.True(events.Sum(e => Size(e.Type, e.Data)) <= Cap);
        var stored = events.Count - 1;
        Assert.NotNull(summary.EventsTruncated);
        Assert.Equal(published / Size("assistant", line) - stored, summary.EventsTruncated.DroppedEvents);
        Assert.Equal(published - (stored * Size("assistant", line)), summary.EventsTruncated.DroppedBytes);
        using var document = JsonDocument.Parse(marker.Data);
        Assert.Equal(summary.EventsTruncated.DroppedEvents, document.RootElement.GetProperty("dropped_events").GetInt64());
        Assert.Equal(summary.EventsTruncated.DroppedBytes, document.RootElement.GetProperty("dropped_bytes").GetInt64());
    }

    [Fact]
    public async Task PublishAsync_UnderTheCap_NothingDroppedNoMarker()
    {
        var store = await StoreAsync("b");
        var bus = new TaskEventBus(store, maxTaskEventBytes: Cap);
        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(await bus.PublishAsync("b", "assistant", Line(1000), CancellationToken.None));
        }

        var summary = await bus.FinishAsync("b", CancellationToken.None);

        Assert.Null(summary.EventsTruncated);
        Assert.Equal(10, (await store.GetEventsAsync("b", 0, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task PublishAsync_EventsStoredBeforeARestart_CountTowardsTheCap()
    {
        var store = await StoreAsync("c");
        var before = new TaskEventBus(store, maxTaskEventBytes: Cap);
        for (var i = 0; i < Cap / 1000; i++)
        {
            await before.PublishAsync("c", "assistant", Line(1000), CancellationToken.None);
        }

        var after = new TaskEventBus(store, maxTaskEventBytes: Cap);
        Assert.Null(await after.PublishAsync("c", "assistant", Line(1000), CancellationToken.None));
        var summary = await after.FinishAsync("c", CancellationToken.None);

        Assert.Equal(1, summary.EventsTruncated!.DroppedEvents);
        Assert.Single(await store.GetEventsAsync("c", 0, CancellationToken.None), e => e.Type == TaskEventBus.TruncatedType);
    }

    [Fact]
    public async Task PublishAsync_Subscriber_GetsNothingDropped()
    {
        var store = await StoreAsync("d");
        var bus = new TaskEventBus(store, maxTaskEventBytes: Cap);
        using var subscription = bus.Subscribe("d");
        for (var i = 0; i < 200; i++)
        {
            await bus.PublishAsync("d", "assistant", Line(1000), CancellationToken.None);
        }

        await bus.FinishAsync("d", CancellationToken.None);
        bus.Complete("d");

        var live = new List<StoredEvent>();
        await foreach (var stored in subscription.Reader.ReadAllAsync())
        {
            live.Add(stored);
        }

        Assert.Equal((await store.GetEventsAsync("d", 0, CancellationToken.None)).Select(e => e.Seq), live.Select(e => e.Seq));
    }

    [Fact]
    public async Task PublishAsync_SecretInData_StoredRedactedAndTheTaskFlaggedOnce()
    {
        var home = new TempDirectory();
        try
        {
            var token = home.Write("dev", "f0e1d2c3b4a5968778695a4b3c2d1e0f12345678");
            var redactor = new SecretRedactor(new SecretCatalog(() => [new SecretSource("dev forge token", token, SecretFileFormat.Text)]));
            var store = await StoreAsync("e");
            var bus = new TaskEventBus(store, redactor, Cap);

            await bus.PublishAsync("e", "assistant", """{"text":"f0e1d2c3b4a5968778695a4b3c2d1e0f12345678"}""", CancellationToken.None);
            await bus.PublishAsync("e", "x\ninjected", """{"text":"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"}""", CancellationToken.None);
            var comment = bus.Redact("e", "forge comment", "done; token f0e1d2c3b4a5968778695a4b3c2d1e0f12345678");
            var summary = await bus.FinishAsync("e", CancellationToken.None);

            var events = await store.GetEventsAsync("e", 0, CancellationToken.None);
            Assert.Equal("""{"text":"[redacted: dev forge token]"}""", events[0].Data);
            Assert.Equal("x_injected", events[1].Type);
            Assert.Equal("done; token [redacted: dev forge token]", comment);
            Assert.Equal(["dev forge token", "github token format"], summary.SecretsRedacted);
            var flagged = Assert.Single(events, e => e.Type == TaskEventBus.SecretRedactedType);
            Assert.DoesNotContain("f0e1d2c3", flagged.Data, StringComparison.Ordinal);
            using var document = JsonDocument.Parse(flagged.Data);
            Assert.Equal(["events", "forge comment"], document.RootElement.GetProperty("where").EnumerateArray().Select(e => e.GetString()));
            Assert.DoesNotContain(events, e => e.Data.Contains("f0e1d2c3b4a5968778695a4b3c2d1e0f12345678", StringComparison.Ordinal));
        }
        finally
        {
            home.Dispose();
        }
    }

    [Fact]
    public async Task FinishAsync_NothingHappened_NoEventsAndAnEmptySummary()
    {
        var store = await StoreAsync("f");
        var bus = new TaskEventBus(store, maxTaskEventBytes: Cap);
        await bus.PublishAsync("f", "assistant", "{}", CancellationToken.None);

        var summary = await bus.FinishAsync("f", CancellationToken.None);

        Assert.Equal(TaskOutputSummary.None, summary);
        Assert.Single(await store.GetEventsAsync("f", 0, CancellationToken.None));
    }

    private async Task<SqliteTaskStore> StoreAsync(string id)
    {
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(_data.Path), TimeProvider.System);
        await store.CreateTaskAsync(new TaskRecord(id, "dev", "https://f/o/r", null, "issue-1", "do it", TaskState.Queued, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null), "submitted", CancellationToken.None);
        return store;
    }

    private static string Line(int bytes) => JsonSerializer.Serialize(new { type = "assistant", text = new string('z', bytes - 30) });

    private static long Size(string type, string data) => Encoding.UTF8.GetByteCount(type) + Encoding.UTF8.GetByteCount(data);
}
