using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class DashboardSessionsTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Find_AnOpenSession_UntilItExpires()
    {
        var (sessions, _) = await CreateAsync();
        var cookie = await sessions.OpenAsync(TimeSpan.FromHours(1), CancellationToken.None);

        Assert.NotNull(await sessions.FindAsync(cookie, CancellationToken.None));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(await sessions.FindAsync(cookie, CancellationToken.None));
    }

    [Fact]
    public async Task Find_AfterSignOut_IsNothing()
    {
        var (sessions, _) = await CreateAsync();
        var cookie = await sessions.OpenAsync(TimeSpan.FromHours(1), CancellationToken.None);

        await sessions.CloseAsync(cookie, CancellationToken.None);

        Assert.Null(await sessions.FindAsync(cookie, CancellationToken.None));
    }

    [Fact]
    public async Task Find_AfterTheApiTokenChanged_IsNothing()
    {
        var (sessions, database) = await CreateAsync();
        var cookie = await sessions.OpenAsync(TimeSpan.FromHours(1), CancellationToken.None);
        var paths = new ClaudeHooksPaths(_home.Path);
        File.Delete(ApiToken.FilePath(paths));
        var rotated = new DashboardSessions(database, ApiToken.LoadOrCreate(paths, out _), _clock);

        Assert.Null(await rotated.FindAsync(cookie, CancellationToken.None));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-session")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    public async Task Find_AnythingElse_IsNothing(string? cookie)
    {
        var (sessions, _) = await CreateAsync();
        await sessions.OpenAsync(TimeSpan.FromHours(1), CancellationToken.None);

        Assert.Null(await sessions.FindAsync(cookie, CancellationToken.None));
    }

    [Fact]
    public async Task Open_KeepsOnlyADigestOfTheCookie()
    {
        var (sessions, database) = await CreateAsync();
        var cookie = await sessions.OpenAsync(TimeSpan.FromHours(1), CancellationToken.None);

        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id_hash || token_hash FROM dashboard_sessions";
        var stored = (string)(await command.ExecuteScalarAsync())!;
        Assert.DoesNotContain(cookie, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllText(ApiToken.FilePath(new ClaudeHooksPaths(_home.Path))).Trim(), stored, StringComparison.Ordinal);
    }

    private async Task<(DashboardSessions Sessions, Database Database)> CreateAsync()
    {
        var database = await Database.OpenAndMigrateAsync(Path.Combine(_home.Path, "data"));
        var token = ApiToken.LoadOrCreate(new ClaudeHooksPaths(_home.Path), out _);
        return (new DashboardSessions(database, token, _clock), database);
    }
}
