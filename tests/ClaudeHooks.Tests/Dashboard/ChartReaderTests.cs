using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class ChartReaderTests : IDisposable
{
    private static readonly DateOnly First = new(2026, 3, 1);
    private static readonly DateOnly Last = new(2026, 3, 3);

    private readonly TempDirectory _data = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task ReadAsync_MixedTasks_GroupsThoseCreatedInTheWindowByDayAgentRepoAndState()
    {
        var database = await SeedAsync();

        var data = await ChartReader.ReadAsync(database, First, Last, CancellationToken.None);

        Assert.Equal(8, data.Groups.Sum(g => g.Tasks));
        Assert.All(data.Groups, g => Assert.InRange(g.Day, First, Last));
        var failed = Assert.Single(data.Groups, g => g.Day == First && g.State == "failed");
        Assert.Equal(("dev", "org/a", 1, 0.25, 1), (failed.Agent, failed.Repo, failed.Tasks, failed.CostUsd, failed.Costed));
        Assert.Equal(1, data.Groups.Single(g => g.State == "running").Tasks);
    }

    [Fact]
    public async Task ReadAsync_NullMalformedAndNonNumericCosts_AreLeftOutOfTheSumsButTheTasksCount()
    {
        var database = await SeedAsync();

        var data = await ChartReader.ReadAsync(database, First, Last, CancellationToken.None);

        Assert.Equal(0.85, data.Groups.Where(g => g.Agent == "dev").Sum(g => g.CostUsd), 9);
        Assert.Equal(1.0, data.Groups.Where(g => g.Agent == "reviewer").Sum(g => g.CostUsd), 9);
        var secondDayFailed = Assert.Single(data.Groups, g => g.Day == First.AddDays(1) && g.Agent == "dev" && g.State == "failed");
        Assert.Equal((1, 0), (secondDayFailed.Tasks, secondDayFailed.Costed));
        var nonNumeric = Assert.Single(data.Groups, g => g.Day == First.AddDays(1) && g.Agent == "dev" && g.State == "succeeded");
        Assert.Equal((1, 0, 0.0), (nonNumeric.Tasks, nonNumeric.Costed, nonNumeric.CostUsd));
        Assert.Equal(0, data.Groups.Single(g => g.Agent == "reviewer" && g.State == "succeeded").Costed);
    }

    [Fact]
    public async Task ReadAsync_Durations_TakePercentilesOfEndedTasksOnlyPerAgent()
    {
        var database = await SeedAsync();

        var data = await ChartReader.ReadAsync(database, First, Last, CancellationToken.None);

        Assert.Equal(
            [new ChartDurations("dev", 2, 1000, 3000, 3000), new ChartDurations("reviewer", 2, 2000, 5000, 5000)],
            data.Durations);
    }

    [Fact]
    public async Task ReadAsync_HundredDurationsInAnyOrder_GivesNearestRankPercentiles()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var at = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
        foreach (var ms in Enumerable.Range(1, 100).OrderBy(i => (i * 37) % 101))
        {
            await InsertAsync(database, $"t{ms}", "dev", "org/a", "succeeded", at.AddSeconds(ms), $$"""{"cost_usd":null,"duration_ms":{{ms * 10}}}""");
        }

        var data = await ChartReader.ReadAsync(database, First, Last, CancellationToken.None);

        Assert.Equal(new ChartDurations("dev", 100, 500, 900, 990), Assert.Single(data.Durations));
    }

    [Fact]
    public async Task ReadAsync_NoTasks_IsEmpty()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);

        var data = await ChartReader.ReadAsync(database, First, Last, CancellationToken.None);

        Assert.Empty(data.Groups);
        Assert.Empty(data.Durations);
    }

    private async Task<Database> SeedAsync()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        var day1 = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        await InsertAsync(database, "t1", "dev", "org/a", "succeeded", day1.AddHours(10), """{"cost_usd":0.5,"duration_ms":1000,"turns":3,"status":"succeeded"}""");
        await InsertAsync(database, "t2", "dev", "org/a", "failed", day1.AddDays(1).AddTicks(-1), """{"cost_usd":0.25,"duration_ms":3000,"status":"failed"}""");
        await InsertAsync(database, "t3", "reviewer", "org/b", "succeeded", day1.AddDays(1).AddHours(3), """{"cost_usd":null,"duration_ms":2000,"status":"succeeded"}""");
        await InsertAsync(database, "t4", "reviewer", "org/b", "timed_out", day1.AddDays(2).AddHours(1), """{"cost_usd":1,"duration_ms":5000,"status":"timed_out"}""");
        await InsertAsync(database, "t7", "dev", "org/a", "failed", day1.AddDays(1).AddHours(4), """not json {""");
        await InsertAsync(database, "t8", "dev", "org/a", "running", day1.AddDays(2).AddHours(5), null);
        await InsertAsync(database, "t9", "dev", "org/a", "interrupted", day1.AddDays(1).AddHours(6), """{"cost_usd":0.1,"duration_ms":9999,"status":"interrupted"}""");
        await InsertAsync(database, "t10", "dev", "org/a", "succeeded", day1.AddDays(1).AddHours(7), """{"cost_usd":"abc","duration_ms":"x"}""");

        // Outside the window: a tick before its first day, and the first instant after its last.
        await InsertAsync(database, "t5", "dev", "org/a", "succeeded", day1.AddTicks(-1), """{"cost_usd":100,"duration_ms":1}""");
        await InsertAsync(database, "t6", "dev", "org/a", "succeeded", day1.AddDays(3), """{"cost_usd":100,"duration_ms":1}""");
        return database;
    }

    internal static async Task InsertAsync(Database database, string id, string agent, string repo, string state, DateTimeOffset createdAt, string? outcome)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO tasks (id, agent, repo, thread, prompt, state, created_at, updated_at, outcome)
            VALUES ($id, $agent, $repo, 'thread', 'prompt', $state, $at, $at, $outcome)
            """;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$agent", agent);
        command.Parameters.AddWithValue("$repo", repo);
        command.Parameters.AddWithValue("$state", state);
        command.Parameters.AddWithValue("$at", SqliteTaskStore.Format(createdAt));
        command.Parameters.AddWithValue("$outcome", (object?)outcome ?? DBNull.Value);
        await command.ExecuteNonQueryAsync();
    }
}
