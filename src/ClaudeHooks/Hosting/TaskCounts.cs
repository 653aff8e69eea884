using System.Diagnostics.Metrics;
using System.Globalization;
using ClaudeHooks.Config;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Hosting;

/// <summary>
/// The store's current task counts for the observable gauges, read once per scrape: the three gauges of one
/// collection share one query. Only the config's agents are reported, so a task of an agent since removed from the
/// config cannot add a label value.
/// </summary>
internal sealed class TaskCounts(Database database, AgentsConfig config, TimeProvider clock)
{
    // A scrape reads the gauges one after another; within this window they share a snapshot.
    private static readonly TimeSpan SnapshotReuse = TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private Snapshot? _snapshot;

    public IEnumerable<Measurement<long>> ByState()
    {
        var snapshot = Read();
        foreach (var agent in config.Agents)
        {
            foreach (var state in Enum.GetValues<TaskState>())
            {
                snapshot.Counts.TryGetValue((agent.Name, state), out var count);
                yield return new Measurement<long>(count, new("agent", agent.Name), new("state", state.ToName()));
            }
        }
    }

    public IEnumerable<Measurement<long>> QueueDepth()
    {
        var snapshot = Read();
        foreach (var agent in config.Agents)
        {
            snapshot.Counts.TryGetValue((agent.Name, TaskState.Queued), out var count);
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("agent", agent.Name));
        }
    }

    public IEnumerable<Measurement<double>> OldestQueuedAge()
    {
        var snapshot = Read();
        foreach (var agent in config.Agents)
        {
            var age = snapshot.OldestQueued.TryGetValue(agent.Name, out var oldest) ? Math.Max(0, (snapshot.At - oldest).TotalSeconds) : 0;
            yield return new Measurement<double>(age, new KeyValuePair<string, object?>("agent", agent.Name));
        }
    }

    private Snapshot Read()
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            if (_snapshot is { } kept && now - kept.At < SnapshotReuse)
            {
                return kept;
            }

            _snapshot = Query(now);
            return _snapshot;
        }
    }

    // Gauge callbacks are synchronous; SQLite's async calls complete synchronously anyway.
    private Snapshot Query(DateTimeOffset now)
    {
        using var connection = database.OpenAsync().GetAwaiter().GetResult();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT agent, state, COUNT(*), MIN(created_at) FROM tasks GROUP BY agent, state";
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<(string, TaskState), long>();
        var oldest = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var agent = reader.GetString(0);
            var state = TaskStateNames.Parse(reader.GetString(1));
            counts[(agent, state)] = reader.GetInt64(2);
            if (state == TaskState.Queued)
            {
                oldest[agent] = DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            }
        }

        return new Snapshot(now, counts, oldest);
    }

    private sealed record Snapshot(DateTimeOffset At, Dictionary<(string Agent, TaskState State), long> Counts, Dictionary<string, DateTimeOffset> OldestQueued);
}
