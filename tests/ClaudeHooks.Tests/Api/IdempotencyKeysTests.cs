using ClaudeHooks.Api;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Tests.Api;

/// <summary>The key table itself, on a clock the test moves: claims, holders, and the retention window.</summary>
public sealed class IdempotencyKeysTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task ClaimAsync_HeldKey_GivesTheHolder()
    {
        var keys = new IdempotencyKeys(await Database.OpenAndMigrateAsync(_data.Path), new ManualClock(DateTimeOffset.UtcNow));

        var first = await keys.ClaimAsync("k", "sha-1", "t-1", CancellationToken.None);
        var second = await keys.ClaimAsync("k", "sha-2", "t-2", CancellationToken.None);

        Assert.Equal(("t-1", "sha-1"), first);
        Assert.Equal(("t-1", "sha-1"), second);
    }

    [Fact]
    public async Task ClaimAsync_AfterTheRetentionWindow_ClaimsAgainAndPrunesTheOld()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var keys = new IdempotencyKeys(database, clock);
        await keys.ClaimAsync("k", "sha-1", "t-1", CancellationToken.None);
        await keys.ClaimAsync("other", "sha-1", "t-9", CancellationToken.None);

        clock.Advance(IdempotencyKeys.Retention + TimeSpan.FromSeconds(1));
        var again = await keys.ClaimAsync("k", "sha-2", "t-2", CancellationToken.None);

        Assert.Equal(("t-2", "sha-2"), again);
        await using var connection = await database.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM idempotency_keys";
        Assert.Equal(1L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ReleaseAsync_ClaimedKey_FreeForTheNextClaim()
    {
        var keys = new IdempotencyKeys(await Database.OpenAndMigrateAsync(_data.Path), new ManualClock(DateTimeOffset.UtcNow));
        await keys.ClaimAsync("k", "sha-1", "t-1", CancellationToken.None);

        await keys.ReleaseAsync("k", "t-1");

        Assert.Equal(("t-2", "sha-1"), await keys.ClaimAsync("k", "sha-1", "t-2", CancellationToken.None));
    }

    [Theory]
    [InlineData("550e8400-e29b-41d4-a716-446655440000", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("with space", false)]
    [InlineData("tab\there", false)]
    [InlineData("ключ", false)]
    public void Problem_Key_OnlyVisibleAscii(string key, bool valid) => Assert.Equal(valid, IdempotencyKeys.Problem(key) is null);
}
