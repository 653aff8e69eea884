using System.Globalization;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Bench;

/// <summary>
/// The database the dashboard benchmark reads: <see cref="Tasks"/> tasks over ten days in a mix of states and agents,
/// each with its history and (once ended) its outcome, a few running with a live transcript, and one ended task with
/// <see cref="LongTaskEvents"/> events. Written with SQL in one transaction, as a service would have left it.
/// </summary>
/// <remarks>
/// Nothing here may be taken up by the service the benchmark starts: running tasks hold a lease of another owner
/// that expires tomorrow, and queued ones wait for a retry time tomorrow, so the worker neither recovers nor claims them.
/// </remarks>
internal static class DashboardSeed
{
    public const int Tasks = 1_000;
    public const int LongTaskEvents = 20_000;
    public const int RunningTasks = 12;
    public const int RunningTaskEvents = 400;
    public const int EndedTaskEvents = 20;

    private static readonly string[] Agents = ["dev", "reviewer", "boss"];
    private static readonly string[] Repos = ["acme/api", "acme/web", "acme/billing", "acme/infra", "tools/cli", "tools/docs"];

    /// <summary>Seeds <paramref name="database"/>; returns the long task's id and what was written.</summary>
    public static async Task<(string LongTask, long LongTaskBytes, Dictionary<string, int> States, long Events, long EventBytes)> SeedAsync(Database database, DateTimeOffset now)
    {
        var random = new Random(20261123);
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        long events = 0;
        long bytes = 0;
        await using var connection = await database.OpenAsync();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        var insertTask = Command(connection, transaction, """
            INSERT INTO tasks (id, agent, repo, base_ref, thread, prompt, state, attempt, created_at, updated_at, outcome, lease_owner, lease_expires_at, timeout_seconds, not_before)
            VALUES ($id, $agent, $repo, 'main', $thread, $prompt, $state, $attempt, $created, $updated, $outcome, $owner, $expires, $timeout, $not_before)
            """, "$id", "$agent", "$repo", "$thread", "$prompt", "$state", "$attempt", "$created", "$updated", "$outcome", "$owner", "$expires", "$timeout", "$not_before");
        var insertHistory = Command(connection, transaction, "INSERT INTO task_history (task_id, at, from_state, to_state, reason) VALUES ($task, $at, $from, $to, $reason)",
            "$task", "$at", "$from", "$to", "$reason");
        var insertEvent = Command(connection, transaction, "INSERT INTO task_events (task_id, seq, at, type, data) VALUES ($task, $seq, $at, $type, $data)",
            "$task", "$seq", "$at", "$type", "$data");

        async Task<long> TaskAsync(string id, string agent, string repo, string thread, TaskState state, DateTimeOffset created, DateTimeOffset updated, RunOutcome? outcome, int eventCount)
        {
            var running = state == TaskState.Running;
            var queued = state == TaskState.Queued;
            await RunAsync(insertTask, id, agent, repo, thread, Prompt(random, thread), state.ToName(), queued ? 0 : 1, Format(created), Format(updated),
                outcome is null ? null : JsonSerializer.Serialize(outcome, OutcomeJson.Options),
                running ? "bench-other-service" : null, running ? Format(now.AddDays(1)) : null, random.Next(4) == 0 ? 3600 : null, queued ? Format(now.AddDays(1)) : null);
            await RunAsync(insertHistory, id, Format(created), null, "queued", "submitted through the API");
            long taskBytes = 0;
            if (!queued)
            {
                var started = created.AddSeconds(2);
                await RunAsync(insertHistory, id, Format(started), "queued", "running", "claimed by worker bench-host:1");
                if (state.IsFinal())
                {
                    await RunAsync(insertHistory, id, Format(updated), "running", state.ToName(), outcome!.Reason);
                }

                var seq = 0L;
                foreach (var (type, data) in DashboardTranscript.Events(random, id, agent, eventCount, outcome))
                {
                    seq++;
                    var at = started + ((updated - started) * ((double)seq / eventCount));
                    await RunAsync(insertEvent, id, seq, Format(at), type, data);
                    events++;
                    taskBytes += Encoding.UTF8.GetByteCount(type) + Encoding.UTF8.GetByteCount(data);
                }
            }

            states[state.ToName()] = states.GetValueOrDefault(state.ToName()) + 1;
            bytes += taskBytes;
            return taskBytes;
        }

        // Newest first, one every ~14 minutes back over ten days; the first few dozen hold the running ones.
        for (var i = 0; i < Tasks - 1; i++)
        {
            var created = now - TimeSpan.FromMinutes(3 + (i * 14.4) + random.NextDouble());
            var agent = Agents[random.Next(Agents.Length)];
            var repo = $"http://forge.internal/{Repos[random.Next(Repos.Length)]}.git";
            var thread = random.Next(3) switch { 0 => $"issue-{random.Next(1, 900)}", 1 => $"pr-{random.Next(1, 400)}", _ => $"manual-{i}" };
            var state = i < RunningTasks * 4 && i % 4 == 0 ? TaskState.Running : PickEnded(random);
            var updated = state switch
            {
                TaskState.Running => now,
                TaskState.Queued => created,
                _ => created + TimeSpan.FromSeconds(random.Next(40, 2400)),
            };
            var count = state switch { TaskState.Running => RunningTaskEvents, TaskState.Queued => 0, _ => EndedTaskEvents };
            await TaskAsync(Id(created, random), agent, repo, thread, state, created, updated, state.IsFinal() ? Outcome(random, state, created, updated) : null, count);
        }

        // The long task: ran for three hours and ended ten minutes ago, well inside the event retention.
        var longCreated = now - TimeSpan.FromHours(3);
        var longUpdated = now - TimeSpan.FromMinutes(10);
        var longTask = Id(longCreated, random);
        var longBytes = await TaskAsync(longTask, "dev", "http://forge.internal/acme/api.git", "issue-4242", TaskState.Succeeded, longCreated, longUpdated,
            Outcome(random, TaskState.Succeeded, longCreated, longUpdated), LongTaskEvents);

        await transaction.CommitAsync();
        foreach (var command in new[] { insertTask, insertHistory, insertEvent })
        {
            await command.DisposeAsync();
        }

        return (longTask, longBytes, states, events, bytes);
    }

    private static TaskState PickEnded(Random random) => random.NextDouble() switch
    {
        < 0.05 => TaskState.Queued,
        < 0.17 => TaskState.Failed,
        < 0.22 => TaskState.Cancelled,
        < 0.25 => TaskState.TimedOut,
        _ => TaskState.Succeeded,
    };

    private static RunOutcome Outcome(Random random, TaskState state, DateTimeOffset created, DateTimeOffset updated)
    {
        var (status, reason) = state switch
        {
            TaskState.Succeeded => (RunStatus.Succeeded, "the run finished and its commits were pushed"),
            TaskState.Failed => (RunStatus.Failed, "Claude Code exited with 1: error_max_turns"),
            TaskState.Cancelled => (RunStatus.Cancelled, "cancelled through the API"),
            _ => (RunStatus.TimedOut, "the task ran past its time limit of 1h"),
        };
        var input = random.Next(20_000, 900_000);
        var output = random.Next(2_000, 60_000);
        return new RunOutcome(status, reason, Guid.NewGuid().ToString(), random.Next(5) == 0, random.Next(3, 80), Math.Round((decimal)random.NextDouble() * 4, 4),
            (long)(updated - created).TotalMilliseconds, $$"""{"input_tokens":{{input}},"output_tokens":{{output}},"cache_read_input_tokens":{{input * 3}}}""", null,
            state == TaskState.Succeeded ? "Done: the handler validates its input now, with tests for the empty and the oversized body." : null,
            null, $"dev/issue-{random.Next(1, 900)}", state == TaskState.Succeeded ? 0 : 1, 0,
            state == TaskState.Succeeded ? [new PushedCommit(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + "0123abcd", "Validate the request body before parsing it")] : null);
    }

    private static string Prompt(Random random, string thread)
    {
        var sentences = new[]
        {
            "The webhook handler accepts bodies larger than the configured limit and then fails deep in the parser.",
            "Check the size before reading, answer 413 with a message that names the limit, and add tests for both edges.",
            "Keep the existing behaviour for chunked requests; the forge sends those for large pushes.",
            "Review the change for error handling and for the names of the new options.",
            "If the migration is needed, number it after the last one and keep it idempotent.",
        };
        return $"Work on {thread}. " + string.Join(' ', Enumerable.Range(0, random.Next(1, 12)).Select(_ => sentences[random.Next(sentences.Length)]));
    }

    /// <summary>As <see cref="TaskIds.New"/> makes them, at <paramref name="created"/>.</summary>
    private static string Id(DateTimeOffset created, Random random) =>
        $"t{created.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}-{random.NextInt64():x16}"[..32];

    private static string Format(DateTimeOffset at) => SqliteTaskStore.Format(at);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    private static async Task RunAsync(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        await command.ExecuteNonQueryAsync();
    }
}
