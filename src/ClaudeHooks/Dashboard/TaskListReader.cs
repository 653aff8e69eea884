using System.Globalization;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Dashboard;

/// <summary>The tasks page's list: newest first, filtered by state, agent, repository and text (id, thread or request), a page at a time.</summary>
internal static class TaskListReader
{
    public const int PageSize = 50;

    public static async Task<IReadOnlyList<TaskRow>> ReadAsync(Database database, SecretRedactor redactor, TaskFilter filter, DateTimeOffset? before, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, agent, repo, thread, state, attempt, created_at, updated_at, prompt,
                COALESCE(CASE WHEN json_valid(outcome) THEN json_extract(outcome, '$.cost_usd') END, (SELECT SUM(usd) FROM task_spend s WHERE s.task_id = tasks.id)) FROM tasks
            WHERE ($state IS NULL OR state = $state) AND ($agent IS NULL OR agent = $agent) AND ($repo IS NULL OR repo LIKE $repo ESCAPE '\')
              AND ($text IS NULL OR id LIKE $text ESCAPE '\' OR thread LIKE $text ESCAPE '\' OR prompt LIKE $text ESCAPE '\')
              AND ($before IS NULL OR created_at < $before)
            ORDER BY created_at DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$state", (object?)filter.State ?? DBNull.Value);
        command.Parameters.AddWithValue("$agent", (object?)filter.Agent ?? DBNull.Value);
        command.Parameters.AddWithValue("$repo", filter.Repo is { Length: > 0 } repo ? $"%{Like(repo)}%" : DBNull.Value);
        command.Parameters.AddWithValue("$text", filter.Text is { Length: > 0 } text ? $"%{Like(text)}%" : DBNull.Value);
        command.Parameters.AddWithValue("$before", before is { } at ? SqliteTaskStore.Format(at) : DBNull.Value);
        command.Parameters.AddWithValue("$limit", PageSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<TaskRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new TaskRow(reader.GetString(0), reader.GetString(1), redactor.Redact(reader.GetString(2)).Text, redactor.Redact(reader.GetString(3)).Text, reader.GetString(4), reader.GetInt32(5),
                Parse(reader.GetString(6)), Parse(reader.GetString(7)), Format.Summary(redactor.Redact(reader.GetString(8)).Text))
            {
                CostUsd = reader.IsDBNull(9) ? null : (decimal)reader.GetDouble(9),
            });
        }

        return rows;
    }

    /// <summary>A text matched literally: LIKE's wildcards and its escape character stand for themselves.</summary>
    internal static string Like(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
