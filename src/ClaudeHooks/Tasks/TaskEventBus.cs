using System.Collections.Concurrent;
using System.Threading.Channels;

namespace ClaudeHooks.Tasks;

/// <summary>
/// Stores each run event in order, then hands it to live subscribers. A subscriber that falls behind loses
/// nothing: it can replay from the store by sequence number.
/// </summary>
internal sealed class TaskEventBus(ITaskStore store)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Channel<StoredEvent>, byte>> _subscribers = new(StringComparer.Ordinal);

    public async Task<StoredEvent> PublishAsync(string taskId, string type, string data, CancellationToken cancellationToken)
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

    public void Complete(string taskId)
    {
        if (_subscribers.TryRemove(taskId, out var channels))
        {
            foreach (var channel in channels.Keys)
            {
                channel.Writer.TryComplete();
            }
        }
    }

    internal sealed class Subscription(ChannelReader<StoredEvent> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<StoredEvent> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
}
