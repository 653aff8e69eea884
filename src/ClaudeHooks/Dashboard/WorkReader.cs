using System.Globalization;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Dashboard;

/// <summary>Reads forge tasks with their tasks' states and outcomes, for the work items; it never writes.</summary>
internal sealed class WorkReader(Database database)
{
    /// <summary>Every forge task, or only those of one repository (its name in any case, as forges ignore case in it).</summary>
    public async Task<IReadOnlyList<WorkTaskRow>> ReadAsync(string? repo, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // The delivery that queued a task is the earliest one naming it; "->" keeps the outcome's cost as written
        // (a decimal), where json_extract would turn it into a double.
        command.CommandText = """
            SELECT f.task_id, f.repo, f.kind, f.number, f.pull_number, f.head_sha, f.verdict,
                   t.agent, t.state, t.thread, t.created_at, t.updated_at,
                   CASE WHEN json_valid(t.outcome) THEN t.outcome -> '$.cost_usd' END,
                   CASE WHEN json_valid(t.outcome) THEN CAST(json_extract(t.outcome, '$.duration_ms') AS INTEGER) END,
                   CASE WHEN json_valid(t.outcome) THEN json_extract(t.outcome, '$.reason') END,
                   d.delivery_id,
                   (SELECT MAX(i.updated_at) FROM forge_intents i WHERE i.task_id = f.task_id AND i.kind = $open_pull AND i.state = 'done')
            FROM forge_tasks f
            JOIN tasks t ON t.id = f.task_id
            LEFT JOIN (SELECT task_id, delivery_id, MIN(received_at) FROM webhook_deliveries WHERE task_id IS NOT NULL GROUP BY task_id) d ON d.task_id = f.task_id
            WHERE $repo IS NULL OR f.repo = $repo COLLATE NOCASE
            """;
        command.Parameters.AddWithValue("$repo", (object?)repo ?? DBNull.Value);
        command.Parameters.AddWithValue("$open_pull", ForgeIntent.OpenPull);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<WorkTaskRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new WorkTaskRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.GetString(7), reader.GetString(8), reader.GetString(9),
                Time(reader.GetString(10)), Time(reader.GetString(11)),
                reader.IsDBNull(12) ? null : Money(reader.GetString(12)),
                reader.IsDBNull(13) ? null : reader.GetInt64(13),
                reader.IsDBNull(14) ? null : reader.GetValue(14).ToString(),
                reader.IsDBNull(15) ? null : reader.GetString(15),
                reader.IsDBNull(16) ? null : Time(reader.GetString(16))));
        }

        return rows;
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static decimal? Money(string json) =>
        decimal.TryParse(json, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
}
