using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// A task's transcript as server-sent events: the entries of every event after a sequence number, then live ones
/// until the task ends, then <c>end</c> with its state. Each event's entries go out as one <c>entries</c> item whose
/// id is the event's sequence number, so a browser that lost the connection resumes where it was by itself.
/// </summary>
/// <remarks>
/// It subscribes before reading the store, and drops what it already sent by sequence number, so nothing stored in
/// between is missed or sent twice. The store is read a page at a time. A live event past a gap (the subscription
/// drops its oldest when a reader falls behind) has the gap read from the store first. A quiet stream gets a
/// <c>ping</c> every <c>keepAlive</c>, which is also when the store is read again (events another process wrote)
/// and the task's state looked at. A shared link's stream ends at the link's expiry with <c>expired</c>.
/// </remarks>
internal static class TranscriptStream
{
    public const int ReplayPage = 200;

    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async IAsyncEnumerable<SseItem<object?>> ReadAsync(
        string taskId,
        long after,
        ITaskStore store,
        TaskEventBus bus,
        SecretRedactor redactor,
        TimeSpan keepAlive,
        Func<bool> expired,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = after;
        var subscription = bus.Subscribe(taskId);
        try
        {
            await foreach (var stored in StoredAsync(store, taskId, last, long.MaxValue, cancellationToken))
            {
                last = stored.Seq;
                yield return Item(stored, redactor);
            }

            var look = true;
            while (true)
            {
                if (look)
                {
                    look = false;
                    var task = await store.GetTaskAsync(taskId, cancellationToken);
                    if (task is null || task.State.IsFinal())
                    {
                        // The state is final only once every event of the run is stored.
                        await foreach (var stored in StoredAsync(store, taskId, last, long.MaxValue, cancellationToken))
                        {
                            last = stored.Seq;
                            yield return Item(stored, redactor);
                        }

                        yield return new SseItem<object?>(new { state = task?.State.ToName() ?? "deleted" }, "end");
                        yield break;
                    }
                }

                if (expired())
                {
                    yield return new SseItem<object?>(new { detail = "this read-only link has expired; ask for a new one" }, "expired");
                    yield break;
                }

                switch (await WaitAsync(subscription.Reader, keepAlive, cancellationToken))
                {
                    case Wake.Event:
                        while (subscription.Reader.TryRead(out var live))
                        {
                            if (live.Seq <= last)
                            {
                                continue;
                            }

                            if (live.Seq > last + 1)
                            {
                                await foreach (var missed in StoredAsync(store, taskId, last, live.Seq, cancellationToken))
                                {
                                    last = missed.Seq;
                                    yield return Item(missed, redactor);
                                }
                            }

                            last = live.Seq;
                            yield return Item(live, redactor);
                        }

                        break;
                    case Wake.Quiet:
                        yield return new SseItem<object?>(null, "ping");
                        await foreach (var stored in StoredAsync(store, taskId, last, long.MaxValue, cancellationToken))
                        {
                            last = stored.Seq;
                            yield return Item(stored, redactor);
                        }

                        look = true;
                        break;
                    case Wake.Closed:
                        // An attempt ended; a retry may follow it with a new one, under a new subscription.
                        subscription.Dispose();
                        subscription = bus.Subscribe(taskId);
                        await foreach (var stored in StoredAsync(store, taskId, last, long.MaxValue, cancellationToken))
                        {
                            last = stored.Seq;
                            yield return Item(stored, redactor);
                        }

                        look = true;
                        break;
                }
            }
        }
        finally
        {
            subscription.Dispose();
        }
    }

    /// <summary>The stored events after <paramref name="after"/> and before <paramref name="before"/>, read a page at a time.</summary>
    private static async IAsyncEnumerable<StoredEvent> StoredAsync(ITaskStore store, string taskId, long after, long before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = await store.GetEventsAsync(taskId, after, cancellationToken, ReplayPage);
            foreach (var stored in page)
            {
                if (stored.Seq >= before)
                {
                    yield break;
                }

                after = stored.Seq;
                yield return stored;
            }

            if (page.Count < ReplayPage)
            {
                yield break;
            }
        }
    }

    private static SseItem<object?> Item(StoredEvent stored, SecretRedactor redactor) =>
        new(TranscriptView.Entries(stored, redactor), "entries") { EventId = stored.Seq.ToString(CultureInfo.InvariantCulture) };

    private static async Task<Wake> WaitAsync(ChannelReader<StoredEvent> reader, TimeSpan keepAlive, CancellationToken cancellationToken)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quiet.CancelAfter(keepAlive);
        try
        {
            return await reader.WaitToReadAsync(quiet.Token) ? Wake.Event : Wake.Closed;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Wake.Quiet;
        }
    }

    private enum Wake
    {
        Event,
        Quiet,
        Closed,
    }
}
