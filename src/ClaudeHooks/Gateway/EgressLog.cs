using System.Globalization;
using System.Threading.Channels;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Gateway;

/// <summary>
/// The egress audit log, in the service's database. <see cref="Record"/> never blocks the request it describes:
/// records wait in a bounded queue for one background writer that stores them in batches, one transaction each.
/// When the queue is full a record is dropped and counted, with a warning at most once a minute.
/// </summary>
internal sealed partial class EgressLog : IAsyncDisposable
{
    public const int DefaultCapacity = 10_000;

    /// <summary>Host, path and rule are clipped to this many characters.</summary>
    public const int MaxTextLength = 512;

    private const int MaxBatch = 256;
    private const int MaxNameLength = 128;
    private const int MaxMethodLength = 32;
    private const int PurgeChunk = 5_000;
    private const int StoreAttempts = 3;
    private const string Columns = "id, time, task_id, agent, route, host, method, path, status, bytes_in, bytes_out, duration_ms, decision, rule";
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly Database _database;
    private readonly TimeProvider _clock;
    private readonly ILogger<EgressLog> _logger;
    private readonly int _capacity;
    private readonly Channel<Entry> _queue;
    private readonly Task _writer;
    private long _dropped;
    private long _lastWarningTicks = long.MinValue;

    public EgressLog(Database database, TimeProvider clock, ILogger<EgressLog> logger)
        : this(database, clock, logger, DefaultCapacity)
    {
    }

    internal EgressLog(Database database, TimeProvider clock, ILogger<EgressLog> logger, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _database = database;
        _clock = clock;
        _logger = logger;
        _capacity = capacity;
        _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>
    /// Raised on the writer, once per record after its batch is committed (with its <see cref="EgressRecord.Id"/>).
    /// Handlers must be quick; an exception from one is logged and does not stop the log.
    /// </summary>
    public event Action<EgressRecord>? Recorded;

    /// <summary>Records dropped because the queue was full (or the log already disposed).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Queues a record and returns at once. The query string is cut from the path, long texts are clipped, and the
    /// id is assigned when stored.
    /// </summary>
    public void Record(EgressRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Decision is not (EgressRecord.Allowed or EgressRecord.Denied))
        {
            throw new ArgumentException($"decision must be \"{EgressRecord.Allowed}\" or \"{EgressRecord.Denied}\", not \"{record.Decision}\"", nameof(record));
        }

        if (_queue.Writer.TryWrite(new Entry(Normalize(record), null)))
        {
            return;
        }

        var dropped = Interlocked.Increment(ref _dropped);
        var now = _clock.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastWarningTicks);
        if ((last == long.MinValue || now - last >= WarningInterval.Ticks) && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last)
        {
            LogDropped(_capacity, dropped);
        }
    }

    /// <summary>Returns once every record queued before the call is stored (or given up on and logged).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _queue.Writer.WriteAsync(new Entry(null, flushed), cancellationToken);
        }
        catch (ChannelClosedException)
        {
            await _writer.WaitAsync(cancellationToken);
            return;
        }

        await flushed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stored records in id order; see <see cref="EgressQuery"/>.</summary>
    public async Task<IReadOnlyList<EgressRecord>> QueryAsync(EgressQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        var clauses = new List<string>();
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        void Filter(string clause, string name, object value)
        {
            clauses.Add(clause);
            command.Parameters.AddWithValue(name, value);
        }

        if (query.Agent is not null)
        {
            Filter("agent = $agent", "$agent", query.Agent);
        }

        if (query.TaskId is not null)
        {
            Filter("task_id = $task", "$task", query.TaskId);
        }

        if (query.Decision is not null)
        {
            Filter("decision = $decision", "$decision", query.Decision);
        }

        if (query.Since is { } since)
        {
            Filter("time >= $since", "$since", SqliteTaskStore.Format(since));
        }

        if (query.AfterId is { } after)
        {
            Filter("id > $after", "$after", after);
        }

        command.Parameters.AddWithValue("$limit", query.Limit);
        var where = clauses.Count == 0 ? "" : "WHERE " + string.Join(" AND ", clauses);
        command.CommandText = query.Latest
            ? $"SELECT {Columns} FROM (SELECT {Columns} FROM egress {where} ORDER BY id DESC LIMIT $limit) ORDER BY id"
            : $"SELECT {Columns} FROM egress {where} ORDER BY id LIMIT $limit";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<EgressRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new EgressRecord(
                reader.GetInt64(0),
                DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6), reader.GetString(7),
                reader.GetInt32(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetString(12), reader.GetString(13)));
        }

        return records;
    }

    /// <summary>Deletes records older than <paramref name="olderThan"/>, a chunk per statement so writers are not held up; returns how many.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM egress WHERE id IN (SELECT id FROM egress WHERE time < $before ORDER BY id LIMIT $chunk)";
        command.Parameters.AddWithValue("$before", SqliteTaskStore.Format(olderThan));
        command.Parameters.AddWithValue("$chunk", PurgeChunk);
        var total = 0;
        int deleted;
        do
        {
            deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
        }
        while (deleted == PurgeChunk);

        return total;
    }

    /// <summary>Stops taking records and waits until those queued are stored.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    /// <summary>The record as stored: no query string or fragment in the path, every text clipped.</summary>
    internal static EgressRecord Normalize(EgressRecord record) => record with
    {
        Id = 0,
        TaskId = record.TaskId is null ? null : Clip(record.TaskId, MaxNameLength),
        Agent = Clip(record.Agent, MaxNameLength),
        Route = Clip(record.Route, MaxNameLength),
        Host = Clip(record.Host, MaxTextLength),
        Method = Clip(record.Method, MaxMethodLength),
        Path = Clip(WithoutQuery(record.Path), MaxTextLength),
        Rule = Clip(record.Rule, MaxTextLength),
    };

    private static string WithoutQuery(string? path)
    {
        path ??= "";
        var end = path.AsSpan().IndexOfAny('?', '#');
        return end < 0 ? path : path[..end];
    }

    private static string Clip(string? text, int max)
    {
        text ??= "";
        if (text.Length <= max)
        {
            return text;
        }

        // Never leave half of a surrogate pair at the end.
        return text[..(char.IsHighSurrogate(text[max - 1]) ? max - 1 : max)];
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<EgressRecord>(MaxBatch);
        var flushes = new List<TaskCompletionSource>();
        while (await reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var entry))
            {
                if (entry.Flushed is { } flushed)
                {
                    flushes.Add(flushed);
                }
                else
                {
                    batch.Add(entry.Record!);
                }
            }

            if (batch.Count > 0)
            {
                await StoreAsync(batch);
            }

            foreach (var flushed in flushes)
            {
                flushed.TrySetResult();
            }

            batch.Clear();
            flushes.Clear();
        }
    }

    private async Task StoreAsync(List<EgressRecord> batch)
    {
        IReadOnlyList<EgressRecord> stored;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                stored = await InsertAsync(batch);
                break;
            }
            catch (Exception e) when (attempt < StoreAttempts)
            {
                LogRetrying(batch.Count, attempt, StoreAttempts, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt), _clock);
            }
            catch (Exception e)
            {
                LogLost(batch.Count, StoreAttempts, _database.FilePath, e.Message);
                return;
            }
        }

        if (Recorded is not { } handlers)
        {
            return;
        }

        foreach (var record in stored)
        {
            try
            {
                handlers(record);
            }
            catch (Exception e)
            {
                LogHandlerFailed(e.Message);
            }
        }
    }

    private async Task<IReadOnlyList<EgressRecord>> InsertAsync(List<EgressRecord> batch)
    {
        await using var connection = await _database.OpenAsync(CancellationToken.None);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO egress (time, task_id, agent, route, host, method, path, status, bytes_in, bytes_out, duration_ms, decision, rule)
            VALUES ($time, $task, $agent, $route, $host, $method, $path, $status, $in, $out, $duration, $decision, $rule)
            RETURNING id
            """;
        var stored = new List<EgressRecord>(batch.Count);
        foreach (var record in batch)
        {
            command.Parameters.Clear();
            command.Parameters.AddWithValue("$time", SqliteTaskStore.Format(record.Time));
            command.Parameters.AddWithValue("$task", (object?)record.TaskId ?? DBNull.Value);
            command.Parameters.AddWithValue("$agent", record.Agent);
            command.Parameters.AddWithValue("$route", record.Route);
            command.Parameters.AddWithValue("$host", record.Host);
            command.Parameters.AddWithValue("$method", record.Method);
            command.Parameters.AddWithValue("$path", record.Path);
            command.Parameters.AddWithValue("$status", record.Status);
            command.Parameters.AddWithValue("$in", record.BytesIn);
            command.Parameters.AddWithValue("$out", record.BytesOut);
            command.Parameters.AddWithValue("$duration", record.DurationMs);
            command.Parameters.AddWithValue("$decision", record.Decision);
            command.Parameters.AddWithValue("$rule", record.Rule);
            var id = (long)(await command.ExecuteScalarAsync(CancellationToken.None))!;
            stored.Add(record with { Id = id });
        }

        await transaction.CommitAsync(CancellationToken.None);
        return stored;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "egress log: the write queue is full ({Capacity} records), records are being dropped ({Dropped} so far); is the database disk slow or the file locked?")]
    private partial void LogDropped(int capacity, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "egress log: storing {Count} records failed (attempt {Attempt} of {Attempts}): {Error}")]
    private partial void LogRetrying(int count, int attempt, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "egress log: {Count} records lost after {Attempts} attempts to store them in {File}: {Error}")]
    private partial void LogLost(int count, int attempts, string file, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "egress log: a Recorded handler failed: {Error}")]
    private partial void LogHandlerFailed(string error);

    private readonly record struct Entry(EgressRecord? Record, TaskCompletionSource? Flushed);
}
