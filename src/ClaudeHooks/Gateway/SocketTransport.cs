using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace ClaudeHooks.Gateway;

/// <summary>
/// Kestrel's transport for the gateway: one listening Unix socket per sandbox (or a loopback port per task of an
/// agent that runs on the host), opened and closed while the server runs, all feeding one Kestrel endpoint. Every connection carries the id of the socket it arrived on; that id is
/// the caller's whole identity.
/// </summary>
internal sealed partial class SocketTransport(ILogger<SocketTransport> logger) : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    /// <summary>Connections one socket may hold open at once; more are closed at accept, so one sandbox cannot use up the service.</summary>
    public const int MaxConnectionsPerSocket = 256;

    /// <summary>The longest path a Unix socket may have on Linux (sun_path, less its terminating NUL).</summary>
    public const int MaxPathBytes = 107;

    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>();
    private readonly ConcurrentDictionary<string, Listening> _sockets = new(StringComparer.Ordinal);
    private readonly SocketConnectionContextFactory _factory = new(new SocketConnectionFactoryOptions(), logger);

    /// <summary>The endpoint Kestrel binds: not an address, only the marker that picks this transport.</summary>
    public static EndPoint EndPoint { get; } = new GatewayEndPoint();

    public bool CanBind(EndPoint endpoint) => endpoint is GatewayEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(new Listener(this));

    /// <summary>
    /// Listens on <paramref name="path"/> (replacing a socket file left there) as <paramref name="id"/>, with the
    /// file mode given; a socket already open under that id is closed first.
    /// </summary>
    public void Open(string id, string path, UnixFileMode mode)
    {
        Close(id);
        if (File.Exists(path) || Directory.Exists(path))
        {
            File.Delete(path);
        }

        if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            throw new GatewayException($"{path}: longer than the {MaxPathBytes} bytes a Unix socket's path may have; set CLAUDE_HOOKS_HOME to a shorter folder");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, mode);
            socket.Listen(512);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new GatewayException($"{path}: the gateway cannot listen there ({e.Message}); check that the folder belongs to the user running claude-hooks");
        }

        Listen(id, path, socket);
    }

    /// <summary>
    /// Listens on an ephemeral port of 127.0.0.1 as <paramref name="id"/> and returns the port. Unlike a socket file,
    /// a loopback port has no permissions: any process of the host can connect to it while it is open.
    /// </summary>
    public int OpenLoopback(string id)
    {
        Close(id);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.Listen(512);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new GatewayException($"the gateway cannot listen on a loopback port ({e.Message})");
        }

        Listen(id, null, socket);
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private void Listen(string id, string? path, Socket socket)
    {
        var listening = new Listening(id, path, socket, new CancellationTokenSource());
        _sockets[id] = listening;
        _ = AcceptLoopAsync(listening);
    }

    /// <summary>Stops listening on the socket of <paramref name="id"/> and removes its file; open connections finish on their own.</summary>
    public void Close(string id)
    {
        if (_sockets.TryRemove(id, out var listening))
        {
            listening.Stop.Cancel();
            listening.Socket.Dispose();
            try
            {
                if (listening.Path is { } path)
                {
                    File.Delete(path);
                }
            }
            catch (IOException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _sockets.Keys)
        {
            Close(id);
        }

        _accepted.Writer.TryComplete();
        _factory.Dispose();
        await ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(Listening listening)
    {
        while (!listening.Stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listening.Socket.AcceptAsync(listening.Stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors or a connection reset before it was taken: keep accepting, a little later.
                LogAcceptFailed(listening.Id, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), listening.Stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (Interlocked.Increment(ref listening.Open) > MaxConnectionsPerSocket)
            {
                Interlocked.Decrement(ref listening.Open);
                LogTooMany(listening.Id, MaxConnectionsPerSocket);
                accepted.Dispose();
                continue;
            }

            var connection = _factory.Create(accepted);
            connection.Features.Set(new GatewayCaller(listening.Id));
            connection.ConnectionClosed.Register(() => Interlocked.Decrement(ref listening.Open));
            if (!_accepted.Writer.TryWrite(connection))
            {
                await connection.DisposeAsync();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "gateway socket {Id}: accepting a connection failed ({Error}); accepting again")]
    private partial void LogAcceptFailed(string id, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "gateway socket {Id}: a connection over the limit of {Limit} open ones was closed")]
    private partial void LogTooMany(string id, int limit);

    private sealed class Listening(string id, string? path, Socket socket, CancellationTokenSource stop)
    {
        public int Open;

        public string Id { get; } = id;

        /// <summary>The socket file; null for a loopback port.</summary>
        public string? Path { get; } = path;

        public Socket Socket { get; } = socket;

        public CancellationTokenSource Stop { get; } = stop;
    }

    private sealed class GatewayEndPoint : EndPoint
    {
        public override string ToString() => "claude-hooks gateway sockets";
    }

    private sealed class Listener(SocketTransport transport) : IConnectionListener
    {
        public EndPoint EndPoint => SocketTransport.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await transport._accepted.Reader.ReadAsync(cancellationToken);
            }
            catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
            {
                return null;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            transport._accepted.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Which gateway socket a connection came in on.</summary>
internal sealed record GatewayCaller(string SocketId);
