using System.Globalization;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Dashboard;

/// <summary>Reads webhook deliveries for the dashboard, with or without the forge configured; it never writes.</summary>
internal sealed class DeliveryReader(Database database)
{
    private const string Columns = "delivery_id, event, action, repo, received_at, attempts, last_error, next_attempt_at, outcome, task_id, dead_at";

    /// <summary>The latest deliveries, newest first; only those given up when <paramref name="deadOnly"/>.</summary>
    public Task<IReadOnlyList<DeliveryRecord>> ListAsync(bool deadOnly, int limit, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT {Columns} FROM webhook_deliveries WHERE ($dead = 0 OR dead_at IS NOT NULL) ORDER BY received_at DESC, rowid DESC LIMIT $limit",
            [("$dead", deadOnly ? 1 : 0), ("$limit", limit)], cancellationToken);

    public async Task<DeliveryRecord?> FindAsync(string deliveryId, CancellationToken cancellationToken) =>
        (await ReadAsync($"SELECT {Columns} FROM webhook_deliveries WHERE delivery_id = $id", [("$id", deliveryId)], cancellationToken)).FirstOrDefault();

    private async Task<IReadOnlyList<DeliveryRecord>> ReadAsync(string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deliveries = new List<DeliveryRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            deliveries.Add(new DeliveryRecord(
                reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? "" : reader.GetString(3),
                Time(reader.GetString(4)), reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : Time(reader.GetString(7)),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9), reader.IsDBNull(10) ? null : Time(reader.GetString(10))));
        }

        return deliveries;
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
