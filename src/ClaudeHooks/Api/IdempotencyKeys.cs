using System.Security.Cryptography;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Api;

/// <summary>
/// <c>Idempotency-Key</c> on <c>POST /task</c>: the first request with a key claims it for the task it makes; a retry
/// with the same key and the same body finds that task again instead of queuing a second. Keys are kept for
/// <see cref="Retention"/> and pruned as new ones come in.
/// </summary>
internal sealed class IdempotencyKeys(Database database, TimeProvider clock)
{
    public const string Header = "Idempotency-Key";
    public const int MaxLength = 255;

    /// <summary>Long enough for any client's retry loop, short enough that the table stays small.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>What is wrong with a key, or null: 1 to 255 visible ASCII characters (a UUID, say).</summary>
    public static string? Problem(string key) =>
        key.Length is 0 or > MaxLength || key.Any(c => c is < '!' or > '~')
            ? $"must be 1 to {MaxLength} visible ASCII characters without spaces, such as a UUID; send a new one for each new task and the same one when retrying it"
            : null;

    public static string Digest(byte[] body) => Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>
    /// Claims <paramref name="key"/> for <paramref name="taskId"/>, or finds who holds it: the holder's task id and
    /// body digest. The caller made the claim when the returned id is its own.
    /// </summary>
    public async Task<(string TaskId, string BodySha256)> ClaimAsync(string key, string bodySha256, string taskId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = connection.BeginTransaction();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            DELETE FROM idempotency_keys WHERE created_at < $cutoff;
            INSERT INTO idempotency_keys (key, body_sha256, task_id, created_at) VALUES ($key, $sha, $task, $now) ON CONFLICT (key) DO NOTHING;
            SELECT task_id, body_sha256 FROM idempotency_keys WHERE key = $key;
            """;
        command.Parameters.AddWithValue("$cutoff", SqliteTaskStore.Format(now - Retention));
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$sha", bodySha256);
        command.Parameters.AddWithValue("$task", taskId);
        command.Parameters.AddWithValue("$now", SqliteTaskStore.Format(now));
        (string, string) holder;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            holder = (reader.GetString(0), reader.GetString(1));
        }

        await transaction.CommitAsync(cancellationToken);
        return holder;
    }

    /// <summary>Gives a key back when its task could not be stored, so the client's retry can make it.</summary>
    public async Task ReleaseAsync(string key, string taskId)
    {
        await using var connection = await database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM idempotency_keys WHERE key = $key AND task_id = $task";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$task", taskId);
        await command.ExecuteNonQueryAsync();
    }
}
