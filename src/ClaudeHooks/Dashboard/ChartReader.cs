using System.Globalization;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// Reads the charts' figures for a window of UTC days in one statement: the tasks grouped by creation day, agent,
/// repository and state (count and cost), and the durations of ended tasks sorted per agent, from which the
/// percentiles are taken here. The outcomes are read once, inside SQLite; no outcome text reaches the service.
/// </summary>
internal static class ChartReader
{
    /// <summary>The states a task ends in; an interrupted task runs again, so its duration is not yet the task's.</summary>
    public static readonly IReadOnlyList<string> FinalStates = ["succeeded", "failed", "cancelled", "timed_out"];

    // The window is compared as text: created_at is ISO-8601 UTC, so every instant of a day sorts after the bare
    // date and before the next one, and the tasks_created index serves the range. An outcome that is not valid JSON
    // counts as a task without figures (json_extract would fail the whole statement), and a cost or duration that
    // is not a number is left out. MATERIALIZED keeps SQLite from expanding the window, and its JSON, once per use.
    private const string Sql = """
        WITH w AS MATERIALIZED (
            SELECT substr(created_at, 1, 10) AS day, agent, repo, state,
                   CASE WHEN json_valid(outcome) THEN json_extract(outcome, '$.cost_usd') END AS cost,
                   CASE WHEN json_valid(outcome) THEN json_extract(outcome, '$.duration_ms') END AS duration
            FROM tasks
            WHERE created_at >= $first AND created_at < $end)
        SELECT 0 AS kind, day, agent, repo, state, COUNT(*),
               TOTAL(CASE WHEN typeof(cost) IN ('integer', 'real') THEN cost END),
               COUNT(CASE WHEN typeof(cost) IN ('integer', 'real') THEN 1 END),
               NULL AS duration
        FROM w GROUP BY day, agent, repo, state
        UNION ALL
        SELECT 1, NULL, agent, NULL, NULL, NULL, NULL, NULL, CAST(duration AS INTEGER)
        FROM w
        WHERE state IN ('succeeded', 'failed', 'cancelled', 'timed_out')
          AND typeof(duration) IN ('integer', 'real') AND duration >= 0
        ORDER BY 1, 3, 9
        """;

    public static async Task<ChartData> ReadAsync(Database database, DateOnly first, DateOnly last, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.AddWithValue("$first", Day(first));
        command.Parameters.AddWithValue("$end", Day(last.AddDays(1)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        var groups = new List<ChartGroup>();
        var durations = new List<ChartDurations>();
        string? agent = null;
        var sorted = new List<long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt32(0) == 0)
            {
                if (DateOnly.TryParseExact(reader.GetString(1), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    groups.Add(new ChartGroup(day, reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5), reader.GetDouble(6), reader.GetInt32(7)));
                }

                continue;
            }

            var name = reader.GetString(2);
            if (name != agent)
            {
                Flush();
                agent = name;
            }

            sorted.Add(reader.GetInt64(8));
        }

        Flush();
        return new ChartData(groups, durations);

        void Flush()
        {
            if (agent is not null && sorted.Count > 0)
            {
                durations.Add(new ChartDurations(agent, sorted.Count,
                    ChartPercentile.NearestRank(sorted, 50), ChartPercentile.NearestRank(sorted, 90), ChartPercentile.NearestRank(sorted, 99)));
            }

            sorted.Clear();
        }
    }

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
