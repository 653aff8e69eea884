using ClaudeHooks.Config;
using ClaudeHooks.Persistence;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Tasks;

/// <summary>
/// Once at start, then every hour: deletes the events of tasks that ended more than <c>service.event_retention</c>
/// ago and empties the stored body of their webhook deliveries, and of deliveries that made no task. Tasks, their
/// history and outcome, and each delivery's row and outcome stay, so dedupe and <c>task show</c> still work.
/// </summary>
internal sealed partial class EventRetention(Database database, AgentsConfig config, TimeProvider clock, ILogger<EventRetention> logger) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>The states a task never leaves; its updated_at is the time of that last transition.</summary>
    private static readonly string EndedStates = string.Join(", ", Enum.GetValues<TaskState>().Where(s => s.IsFinal()).Select(s => $"'{s.ToName()}'"));

    /// <summary>Rows per statement: each statement is its own transaction, so a large purge holds the write lock only briefly.</summary>
    internal int BatchSize { get; init; } = 1_000;

    /// <summary>
    /// Between two full batches: SQLite's busy handler polls with sleeps of up to 100 ms, so a writer that waits
    /// must be given a gap longer than that or the purge could keep the lock from it until its busy timeout.
    /// </summary>
    internal TimeSpan BatchPause { get; init; } = TimeSpan.FromMilliseconds(150);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var (events, bodies) = await PurgeAsync(stoppingToken);
                if (events + bodies > 0)
                {
                    LogPurged(events, bodies, Duration.Format(config.Service.EventRetention));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogFailed(e.Message, Duration.Format(Interval));
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>Purges what is older than the retention; returns how many events went and how many bodies were emptied.</summary>
    internal async Task<(long Events, long Bodies)> PurgeAsync(CancellationToken cancellationToken)
    {
        var before = SqliteTaskStore.Format(clock.GetUtcNow() - config.Service.EventRetention);
        await using var connection = await database.OpenAsync(cancellationToken);
        var events = await InBatchesAsync(connection, $"""
            DELETE FROM task_events WHERE (task_id, seq) IN (
                SELECT e.task_id, e.seq FROM tasks t JOIN task_events e ON e.task_id = t.id
                WHERE t.state IN ({EndedStates}) AND t.updated_at < $before
                LIMIT $batch)
            """, before, cancellationToken);

        // A delivery not yet handled (no outcome) keeps its body whatever its age: the dispatcher still needs it.
        var bodies = await InBatchesAsync(connection, $"""
            UPDATE webhook_deliveries SET body = X'' WHERE delivery_id IN (
                SELECT d.delivery_id FROM webhook_deliveries d LEFT JOIN tasks t ON t.id = d.task_id
                WHERE length(d.body) > 0 AND d.outcome IS NOT NULL
                  AND ((d.task_id IS NULL AND d.received_at < $before) OR (t.state IN ({EndedStates}) AND t.updated_at < $before))
                LIMIT $batch)
            """, before, cancellationToken);
        return (events, bodies);
    }

    private async Task<long> InBatchesAsync(SqliteConnection connection, string sql, string before, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$before", before);
        command.Parameters.AddWithValue("$batch", BatchSize);
        long total = 0;
        while (true)
        {
            var changed = await command.ExecuteNonQueryAsync(cancellationToken);
            total += changed;
            if (changed < BatchSize)
            {
                return total;
            }

            await Task.Delay(BatchPause, clock, cancellationToken);
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "data retention: {Events} task events deleted and {Bodies} webhook bodies emptied, of tasks ended and deliveries received more than {Retention} ago (service.event_retention)")]
    private partial void LogPurged(long events, long bodies, string retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "data retention: purging old task events and webhook bodies failed ({Error}); trying again in {Interval}")]
    private partial void LogFailed(string error, string interval);
}
