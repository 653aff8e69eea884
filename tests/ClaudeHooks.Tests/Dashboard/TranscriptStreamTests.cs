using System.Net.ServerSentEvents;
using System.Threading.Channels;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class TranscriptStreamTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task ReadAsync_StoredThenLiveThenEnd_EachEventOnceWithItsSeqAsId()
    {
        var (store, bus) = await RunningTaskAsync();
        await Line(bus, "one");
        await Line(bus, "two");
        await Line(bus, "three");
        using var timeout = new CancellationTokenSource(Patience);
        var items = Collect(store, bus, after: 1, TimeSpan.FromSeconds(30), timeout.Token);

        Assert.Equal("2", (await NextAsync(items, timeout.Token)).EventId);
        Assert.Equal("3", (await NextAsync(items, timeout.Token)).EventId);
        await Line(bus, "four");
        var live = await NextAsync(items, timeout.Token);
        await FinishAsync(store, bus);
        var end = await NextAsync(items, timeout.Token);

        Assert.Equal(("entries", "4"), (live.EventType, live.EventId));
        Assert.Equal("four", Assert.Single((IReadOnlyList<TranscriptEntry>)live.Data!).Text);
        Assert.Equal("end", end.EventType);
        Assert.Null(end.EventId);
        Assert.Contains("succeeded", System.Text.Json.JsonSerializer.Serialize(end.Data), StringComparison.Ordinal);
        Assert.False(await items.WaitToReadAsync(timeout.Token));
    }

    [Fact]
    public async Task ReadAsync_FinishedTask_ReplaysInPagesThenEnds()
    {
        var (store, bus) = await RunningTaskAsync();
        for (var i = 0; i < TranscriptStream.ReplayPage * 2 + 5; i++)
        {
            await store.AppendEventAsync("a", "runner/stderr", $$"""{"line":"{{i}}"}""", CancellationToken.None);
        }

        await FinishAsync(store, bus);
        using var timeout = new CancellationTokenSource(Patience);

        var items = new List<SseItem<object?>>();
        await foreach (var item in TranscriptStream.ReadAsync("a", 0, store, bus, SecretRedactor.FormatsOnly, TimeSpan.FromSeconds(30), () => false, timeout.Token))
        {
            items.Add(item);
        }

        Assert.Equal(Enumerable.Range(1, TranscriptStream.ReplayPage * 2 + 5).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), items.SkipLast(1).Select(i => i.EventId));
        Assert.Equal("end", items[^1].EventType);
    }

    [Fact]
    public async Task ReadAsync_LiveEventAfterAGap_ReadsTheGapFromTheStoreFirst()
    {
        var (store, bus) = await RunningTaskAsync();
        using var timeout = new CancellationTokenSource(Patience);
        var items = Collect(store, bus, after: 0, TimeSpan.FromSeconds(30), timeout.Token);
        await Line(bus, "one");
        Assert.Equal("1", (await NextAsync(items, timeout.Token)).EventId);

        // Stored without reaching the bus, as when a subscription dropped its oldest under load.
        await store.AppendEventAsync("a", "runner/stderr", """{"line":"two"}""", CancellationToken.None);
        await Line(bus, "three");

        Assert.Equal("2", (await NextAsync(items, timeout.Token)).EventId);
        Assert.Equal("3", (await NextAsync(items, timeout.Token)).EventId);
    }

    [Fact]
    public async Task ReadAsync_Quiet_PingsWithoutAnId()
    {
        var (store, bus) = await RunningTaskAsync();
        using var timeout = new CancellationTokenSource(Patience);
        var items = Collect(store, bus, after: 0, TimeSpan.FromMilliseconds(50), timeout.Token);

        var ping = await items.ReadAsync(timeout.Token);

        Assert.Equal(("ping", null), (ping.EventType, ping.EventId));
    }

    [Fact]
    public async Task ReadAsync_AttemptEndsButTaskRetries_KeepsFollowingTheNextAttempt()
    {
        var (store, bus) = await RunningTaskAsync();
        using var timeout = new CancellationTokenSource(Patience);
        var items = Collect(store, bus, after: 0, TimeSpan.FromSeconds(30), timeout.Token);
        await Line(bus, "attempt 1");
        Assert.Equal("1", (await NextAsync(items, timeout.Token)).EventId);

        Assert.True(await store.ApplyAsync(new TaskTransition("a", TaskState.Running, TaskState.Queued, "retry") { Holder = "w" }, CancellationToken.None));
        bus.Complete("a");
        Assert.True(await store.ApplyAsync(new TaskTransition("a", TaskState.Queued, TaskState.Running, "claimed") { Lease = ("w", DateTimeOffset.UtcNow.AddMinutes(1)) }, CancellationToken.None));
        await Line(bus, "attempt 2");

        var next = await NextAsync(items, timeout.Token);
        Assert.Equal(("entries", "2"), (next.EventType, next.EventId));
    }

    [Fact]
    public async Task ReadAsync_LinkExpired_EndsWithExpired()
    {
        var (store, bus) = await RunningTaskAsync();
        using var timeout = new CancellationTokenSource(Patience);

        var items = new List<SseItem<object?>>();
        await foreach (var item in TranscriptStream.ReadAsync("a", 0, store, bus, SecretRedactor.FormatsOnly, TimeSpan.FromSeconds(30), () => true, timeout.Token))
        {
            items.Add(item);
        }

        Assert.Equal("expired", Assert.Single(items).EventType);
    }

    private static async Task Line(TaskEventBus bus, string line) =>
        await bus.PublishAsync("a", "runner/stderr", System.Text.Json.JsonSerializer.Serialize(new { line }), CancellationToken.None);

    private static async Task FinishAsync(SqliteTaskStore store, TaskEventBus bus)
    {
        Assert.True(await store.ApplyAsync(new TaskTransition("a", TaskState.Running, TaskState.Succeeded, "done") { Holder = "w", OutcomeJson = "{}" }, CancellationToken.None));
        bus.Complete("a");
    }

    /// <summary>Reads the stream in the background into a channel the test takes items from.</summary>
    private static ChannelReader<SseItem<object?>> Collect(ITaskStore store, TaskEventBus bus, long after, TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<SseItem<object?>>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in TranscriptStream.ReadAsync("a", after, store, bus, SecretRedactor.FormatsOnly, keepAlive, () => false, cancellationToken))
                {
                    await channel.Writer.WriteAsync(item, CancellationToken.None);
                }

                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, CancellationToken.None);
        return channel.Reader;
    }

    private static async Task<SseItem<object?>> NextAsync(ChannelReader<SseItem<object?>> items, CancellationToken cancellationToken)
    {
        while (true)
        {
            var item = await items.ReadAsync(cancellationToken);
            if (item.EventType != "ping")
            {
                return item;
            }
        }
    }

    private async Task<(SqliteTaskStore Store, TaskEventBus Bus)> RunningTaskAsync()
    {
        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(_data.Path), TimeProvider.System);
        await store.CreateTaskAsync(new TaskRecord("a", "dev", "https://f/o/r", null, "issue-1", "do it", TaskState.Queued, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null), "submitted", CancellationToken.None);
        Assert.True(await store.ApplyAsync(new TaskTransition("a", TaskState.Queued, TaskState.Running, "claimed") { Lease = ("w", DateTimeOffset.UtcNow.AddMinutes(1)) }, CancellationToken.None));
        return (store, new TaskEventBus(store));
    }
}
