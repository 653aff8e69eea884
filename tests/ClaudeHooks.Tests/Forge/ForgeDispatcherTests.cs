using System.Text;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Forge;

/// <summary>The dispatcher against a real store: each delivery on its own, failures retried with backoff, bounded, then dead.</summary>
public sealed class ForgeDispatcherTests : IDisposable
{
    private const string Repo = "acme/widgets";
    private readonly TempDirectory _data = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<ForgeWork> _queued = [];

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task ProcessPending_ADeliveryThatThrows_DoesNotBlockTheNextOne()
    {
        var store = await StoreAsync();
        await store.RecordDeliveryAsync("d1", "issue_assign", "assigned", Repo, Assigned(1, "mallory"), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await store.RecordDeliveryAsync("d2", "issue_assign", "assigned", Repo, Assigned(2, "alice"), CancellationToken.None);
        var dispatcher = Dispatcher(store);

        await dispatcher.ProcessPendingAsync(CancellationToken.None);

        var deliveries = (await store.ListDeliveriesAsync(false, 10, CancellationToken.None)).ToDictionary(d => d.DeliveryId);
        Assert.Equal([2L], _queued.Select(w => w.Number));
        Assert.StartsWith("queued task task-2", deliveries["d2"].Outcome, StringComparison.Ordinal);
        Assert.Null(deliveries["d1"].Outcome);
        Assert.Equal(1, deliveries["d1"].Attempts);
        Assert.Contains("tokens/dev", deliveries["d1"].LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessPending_AFailure_PutsTheNextAttemptInTheFutureAndSkipsItUntilThen()
    {
        var store = await StoreAsync();
        await store.RecordDeliveryAsync("d1", "issue_assign", "assigned", Repo, Assigned(1, "mallory"), CancellationToken.None);
        var dispatcher = Dispatcher(store);

        await dispatcher.ProcessPendingAsync(CancellationToken.None);
        var first = (await store.ListDeliveriesAsync(false, 10, CancellationToken.None)).Single();
        await dispatcher.ProcessPendingAsync(CancellationToken.None);

        Assert.InRange(first.NextAttemptAt!.Value, _clock.GetUtcNow() + TimeSpan.FromSeconds(4), _clock.GetUtcNow() + TimeSpan.FromSeconds(6));
        Assert.Empty(await store.PendingDeliveriesAsync(_clock.GetUtcNow(), CancellationToken.None));
        Assert.Equal(1, (await store.ListDeliveriesAsync(false, 10, CancellationToken.None)).Single().Attempts);

        _clock.Advance(TimeSpan.FromSeconds(7));
        await dispatcher.ProcessPendingAsync(CancellationToken.None);
        var second = (await store.ListDeliveriesAsync(false, 10, CancellationToken.None)).Single();

        Assert.Equal(2, second.Attempts);
        Assert.InRange(second.NextAttemptAt!.Value, _clock.GetUtcNow() + TimeSpan.FromSeconds(24), _clock.GetUtcNow() + TimeSpan.FromSeconds(36));
    }

    [Fact]
    public async Task ProcessPending_FailingEveryTime_EndsDeadAfterTheLastAttemptAndIsListed()
    {
        var store = await StoreAsync();
        await store.RecordDeliveryAsync("d1", "issue_assign", "assigned", Repo, Assigned(1, "mallory"), CancellationToken.None);
        await store.RecordDeliveryAsync("d2", "issue_assign", "assigned", Repo, Assigned(2, "alice"), CancellationToken.None);
        var dispatcher = Dispatcher(store);

        for (var pass = 0; pass < ForgeDispatcher.MaxAttempts + 3; pass++)
        {
            await dispatcher.ProcessPendingAsync(CancellationToken.None);
            _clock.Advance(TimeSpan.FromHours(1));
        }

        var dead = Assert.Single(await store.ListDeliveriesAsync(true, 10, CancellationToken.None));
        Assert.Equal("d1", dead.DeliveryId);
        Assert.Equal(ForgeDispatcher.MaxAttempts, dead.Attempts);
        Assert.NotNull(dead.DeadAt);
        Assert.Null(dead.NextAttemptAt);
        Assert.StartsWith("dead: ", dead.Outcome, StringComparison.Ordinal);
        Assert.EndsWith($"after {ForgeDispatcher.MaxAttempts} attempts", dead.Outcome, StringComparison.Ordinal);
        Assert.Contains("tokens/dev", dead.Outcome, StringComparison.Ordinal);
        Assert.Empty(await store.PendingDeliveriesAsync(_clock.GetUtcNow() + TimeSpan.FromDays(1), CancellationToken.None));
        Assert.Equal(2, (await store.ListDeliveriesAsync(false, 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task ProcessPending_AnyException_IsThatDeliverysFailure()
    {
        var store = await StoreAsync();
        await store.RecordDeliveryAsync("d1", "issue_assign", "assigned", Repo, Assigned(1, "alice"), CancellationToken.None);
        var dispatcher = new ForgeDispatcher(Config(), store, (_, _) => throw new InvalidOperationException("unused"),
            (_, _, _, _, _) => throw new InvalidOperationException("the flows broke"), _clock, new ListLogger<ForgeDispatcher>());

        await dispatcher.ProcessPendingAsync(CancellationToken.None);

        var delivery = Assert.Single(await store.ListDeliveriesAsync(false, 10, CancellationToken.None));
        Assert.Equal("InvalidOperationException: the flows broke", delivery.LastError);
        Assert.Null(delivery.Outcome);
    }

    [Fact]
    public async Task ProcessPending_DiskBelowItsMinimum_LeavesDeliveriesPendingAndUntried_UntilThereIsRoom()
    {
        var store = await StoreAsync();
        await store.RecordDeliveryAsync("d1", "issue_assign", "assigned", Repo, Assigned(1, "alice"), CancellationToken.None);
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var full = Config() with { Service = Config().Service with { MinFreeDisk = long.MaxValue } };
        var logger = new ListLogger<ForgeDispatcher>();
        var held = Dispatcher(store, new ClaudeHooks.Hosting.DiskGuard(database, full), logger);

        await held.ProcessPendingAsync(CancellationToken.None);
        await held.ProcessPendingAsync(CancellationToken.None);

        Assert.Empty(_queued);
        var waiting = Assert.Single(await store.ListDeliveriesAsync(false, 10, CancellationToken.None));
        Assert.Equal((null, 0), (waiting.Outcome, waiting.Attempts));
        Assert.Single(logger.Messages, m => m.Contains("until the disk has room", StringComparison.Ordinal));

        await Dispatcher(store, new ClaudeHooks.Hosting.DiskGuard(database, Config()), logger).ProcessPendingAsync(CancellationToken.None);

        Assert.Equal([1L], _queued.Select(w => w.Number));
    }

    [Fact]
    public void RetryDelay_GrowsWithEachAttempt_WithJitter()
    {
        var delays = Enumerable.Range(1, ForgeDispatcher.MaxAttempts - 1).Select(ForgeDispatcher.RetryDelay).ToList();

        Assert.InRange(delays[0], TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6));
        Assert.InRange(delays[^1], TimeSpan.FromMinutes(24), TimeSpan.FromMinutes(36));
        Assert.All(delays.Zip(delays.Skip(1)), pair => Assert.True(pair.Second > pair.First));
    }

    /// <summary>mallory is not in authorized_users, so the forge must be asked, and the dev's token file is missing.</summary>
    private ForgeDispatcher Dispatcher(SqliteTaskStore store, ClaudeHooks.Hosting.DiskGuard? disk = null, ListLogger<ForgeDispatcher>? logger = null) =>
        new(Config(), store, (agent, _) => throw new CredentialException($"the forge token of {agent.Name} ({_data.Path}/tokens/{agent.Name}) does not exist; write it"),
            (work, source, _, _, cancellationToken) =>
            {
                _queued.Add(work);
                var now = _clock.GetUtcNow();
                return store.QueueWorkAsync(work, new TaskRecord($"task-{work.Number}", work.Agent, "https://forge.example/acme/widgets.git", null, work.Thread, "do it", TaskState.Queued, 0, now, now, null), source, cancellationToken);
            }, _clock, logger ?? new ListLogger<ForgeDispatcher>(), disk);

    private async Task<SqliteTaskStore> StoreAsync() => new(await Database.OpenAndMigrateAsync(_data.Path), _clock);

    private AgentsConfig Config() => ConfigLoader.Parse("agents.json", $$"""
        {
          "agents": { "boss": { "role": "lead", "forge_user": "lead-bot" }, "dev": { "role": "dev", "forge_user": "dev-bot" }, "reviewer": { "role": "reviewer", "forge_user": "review-bot" } },
          "forge": {
            "public_url": "https://hooks.example",
            "repositories": { "{{Repo}}": { "url": "https://forge.example", "webhook_secret_file": "webhooks/w", "authorized_users": ["alice"] } }
          }
        }
        """, new ClaudeHooksPaths(_data.Path));

    private static byte[] Assigned(long number, string sender) => Encoding.UTF8.GetBytes($$"""
        {
          "action": "assigned", "number": {{number}},
          "issue": { "number": {{number}}, "title": "t{{number}}", "body": "b", "assignees": [{ "login": "dev-bot" }] },
          "repository": { "full_name": "{{Repo}}" },
          "sender": { "login": "{{sender}}" }
        }
        """);
}
