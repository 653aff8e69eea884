using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using ClaudeHooks.Agents;
using ClaudeHooks.Config;
using ClaudeHooks.Security;

namespace ClaudeHooks.Tasks;

/// <summary>
/// Stores each run event in order, then hands it to live subscribers. A subscriber that falls behind loses
/// nothing: it can replay from the store by sequence number.
/// </summary>
/// <remarks>
/// Every event passes here, so here its credentials are replaced by markers (and its type made a plain token),
/// and here each task's stored event bytes are capped at <c>service.max_task_event_bytes</c>: once an event does
/// not fit, it and every later one are dropped and counted. <see cref="FinishAsync"/> then stores one
/// <c>runner/events-truncated</c> marker and one <c>security/secret-redacted</c> event, in room kept for them below
/// the cap, and tells the caller what to put in the outcome.
/// </remarks>
internal sealed partial class TaskEventBus(ITaskStore store, SecretRedactor? redactor = null, long maxTaskEventBytes = ServiceSettings.DefaultMaxTaskEventBytes, ILogger<TaskEventBus>? logger = null)
{
    public const string TruncatedType = "runner/events-truncated";
    public const string SecretRedactedType = "security/secret-redacted";

    /// <summary>Kept below the cap for the bus's own closing events, so that they never take the task past it.</summary>
    internal const long ClosingReserve = 8 * 1024;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Channel<StoredEvent>, byte>> _subscribers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskOutput> _outputs = new(StringComparer.Ordinal);
    private readonly SecretRedactor _redactor = redactor ?? SecretRedactor.FormatsOnly;
    private readonly long _budget = maxTaskEventBytes - ClosingReserve;
    private readonly ILogger _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Stores and hands out the event, redacted; null when the task's events are over the cap and it was dropped.</summary>
    public async Task<StoredEvent?> PublishAsync(string taskId, string type, string data, CancellationToken cancellationToken)
    {
        var output = Output(taskId);
        var cleanType = _redactor.Redact(type);
        var cleanData = _redactor.Redact(data);
        output.Flag("events", cleanType.Kinds);
        output.Flag("events", cleanData.Kinds);
        type = TerminalText.EventType(cleanType.Text);
        data = cleanData.Text;

        await output.LoadAsync(store, taskId, cancellationToken);
        var size = Encoding.UTF8.GetByteCount(type) + (long)Encoding.UTF8.GetByteCount(data);
        if (!output.TryTake(size, _budget, out var first))
        {
            if (first)
            {
                LogTruncating(_logger, taskId, maxTaskEventBytes);
            }

            return null;
        }

        return await AppendAsync(taskId, type, data, cancellationToken);
    }

    /// <summary>
    /// Replaces the credentials in a text the service writes out on a task's behalf (a forge comment, the outcome),
    /// noting for the task where they were found.
    /// </summary>
    public string Redact(string taskId, string where, string text)
    {
        var redaction = _redactor.Redact(text);
        if (redaction.Changed)
        {
            Output(taskId).Flag(where, redaction.Kinds);
        }

        return redaction.Text;
    }

    /// <summary>
    /// Call when the task has ended, before its outcome is stored: stores the truncation marker and the
    /// secret-redacted event the task has earned (each once), and returns what the outcome must say.
    /// </summary>
    public async Task<TaskOutputSummary> FinishAsync(string taskId, CancellationToken cancellationToken)
    {
        if (!_outputs.TryGetValue(taskId, out var output))
        {
            return TaskOutputSummary.None;
        }

        await output.LoadAsync(store, taskId, cancellationToken);
        var (summary, marker, secrets) = output.Close();
        if (marker is { } truncation)
        {
            await AppendAsync(taskId, TruncatedType, JsonSerializer.Serialize(new
            {
                dropped_events = truncation.DroppedEvents,
                dropped_bytes = truncation.DroppedBytes,
                max_task_event_bytes = maxTaskEventBytes,
                detail = $"the task's events reached service.max_task_event_bytes ({maxTaskEventBytes} bytes); later ones were not stored; raise the key to keep more",
            }, OutcomeJson.Options), cancellationToken);
        }

        if (secrets is { } found)
        {
            LogRedacted(_logger, taskId, string.Join(", ", found.Kinds), string.Join(", ", found.Where));
            await AppendAsync(taskId, SecretRedactedType, JsonSerializer.Serialize(new { kinds = found.Kinds, where = found.Where, count = found.Count }, OutcomeJson.Options), cancellationToken);
        }

        return summary;
    }

    /// <summary>Live events of one task from now on; dispose the subscription to stop.</summary>
    public Subscription Subscribe(string taskId)
    {
        var channel = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
        _subscribers.GetOrAdd(taskId, _ => new()).TryAdd(channel, 0);
        return new Subscription(channel.Reader, () =>
        {
            if (_subscribers.TryGetValue(taskId, out var channels))
            {
                channels.TryRemove(channel, out _);
                channel.Writer.TryComplete();
            }
        });
    }

    /// <summary>Ends the task's live subscriptions and forgets its counts; <see cref="FinishAsync"/> comes first.</summary>
    public void Complete(string taskId)
    {
        _outputs.TryRemove(taskId, out _);
        if (_subscribers.TryRemove(taskId, out var channels))
        {
            foreach (var channel in channels.Keys)
            {
                channel.Writer.TryComplete();
            }
        }
    }

    private TaskOutput Output(string taskId) => _outputs.GetOrAdd(taskId, _ => new TaskOutput());

    private async Task<StoredEvent> AppendAsync(string taskId, string type, string data, CancellationToken cancellationToken)
    {
        var stored = await store.AppendEventAsync(taskId, type, data, cancellationToken);
        if (_subscribers.TryGetValue(taskId, out var channels))
        {
            foreach (var channel in channels.Keys)
            {
                channel.Writer.TryWrite(stored);
            }
        }

        return stored;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: its events reached service.max_task_event_bytes ({Cap} bytes); later ones are counted, not stored")]
    private static partial void LogTruncating(ILogger logger, string taskId, long cap);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task {TaskId}: credentials replaced by markers ({Kinds}) in {Where}")]
    private static partial void LogRedacted(ILogger logger, string taskId, string kinds, string where);

    internal sealed class Subscription(ChannelReader<StoredEvent> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<StoredEvent> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }

    /// <summary>One task's stored bytes, what was dropped, and which kinds of credential were found where.</summary>
    private sealed class TaskOutput
    {
        private readonly Lock _gate = new();
        private readonly SortedSet<string> _kinds = new(StringComparer.Ordinal);
        private readonly SortedSet<string> _where = new(StringComparer.Ordinal);
        private Task? _loading;
        private long _stored;
        private bool _truncated;
        private bool _markerStored;
        private long _droppedEvents;
        private long _droppedBytes;
        private int _redactions;
        private int _reported;

        /// <summary>Starts from what the store already holds for the task (an earlier attempt, a restarted service).</summary>
        public Task LoadAsync(ITaskStore store, string taskId, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                return _loading ??= Load();
            }

            async Task Load()
            {
                var usage = await store.GetEventUsageAsync(taskId, TruncatedType, cancellationToken);
                lock (_gate)
                {
                    _stored += usage.Bytes;
                    _markerStored = usage.Marked;
                }
            }
        }

        public bool TryTake(long size, long budget, out bool firstDrop)
        {
            lock (_gate)
            {
                firstDrop = false;
                if (!_truncated && _stored + size <= budget)
                {
                    _stored += size;
                    return true;
                }

                firstDrop = !_truncated;
                _truncated = true;
                _droppedEvents++;
                _droppedBytes += size;
                return false;
            }
        }

        public void Flag(string where, IReadOnlyList<string> kinds)
        {
            if (kinds.Count == 0)
            {
                return;
            }

            lock (_gate)
            {
                _redactions++;
                _where.Add(where);
                _kinds.UnionWith(kinds);
            }
        }

        public (TaskOutputSummary Summary, EventsTruncation? Marker, SecretsFound? Secrets) Close()
        {
            lock (_gate)
            {
                var truncation = _truncated ? new EventsTruncation(_droppedEvents, _droppedBytes) : null;
                var marker = truncation is not null && !_markerStored ? truncation : null;
                _markerStored |= marker is not null;
                var secrets = _redactions > _reported ? new SecretsFound([.. _kinds], [.. _where], _redactions) : null;
                _reported = _redactions;
                return (new TaskOutputSummary(truncation, _kinds.Count == 0 ? null : [.. _kinds]), marker, secrets);
            }
        }
    }

    private sealed record SecretsFound(IReadOnlyList<string> Kinds, IReadOnlyList<string> Where, int Count);
}

/// <summary>What a task's outcome must say about its output: events dropped over the cap, kinds of credential redacted.</summary>
internal sealed record TaskOutputSummary(EventsTruncation? EventsTruncated, IReadOnlyList<string>? SecretsRedacted)
{
    public static TaskOutputSummary None { get; } = new(null, null);
}
