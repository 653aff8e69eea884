using Docker.DotNet;

namespace ClaudeHooks.Containers;

/// <summary>Connects to the Docker engine named by <c>DOCKER_HOST</c> (default: the local Unix socket).</summary>
internal static class DockerConnection
{
    private const string DefaultEndpoint = "unix:///var/run/docker.sock";

    /// <summary>The engine's address; a <c>DOCKER_HOST</c> the client cannot use is an <see cref="EngineUnavailableException"/> naming it and the fix.</summary>
    public static Uri EndpointUri => Endpoint(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>Parses a <c>DOCKER_HOST</c> value (blank for the local socket).</summary>
    internal static Uri Endpoint(string? host)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return new Uri(DefaultEndpoint);
        }

        // Only what the Engine API client speaks: a Unix socket path, or an engine's TCP address.
        var valid = Uri.TryCreate(host, UriKind.Absolute, out var uri) && uri.Scheme switch
        {
            "unix" => uri.AbsolutePath.Length > 1,
            "tcp" => uri.Host.Length > 0 && !uri.IsDefaultPort,
            "http" or "https" => uri.Host.Length > 0,
            _ => false,
        };
        return valid
            ? uri!
            : throw new EngineUnavailableException(
                $"DOCKER_HOST \"{Security.TerminalText.Neutralize(host)}\" is not an engine address claude-hooks can use; set it to unix:///path/to/docker.sock or tcp://HOST:PORT, or unset it for {DefaultEndpoint}");
    }

    public static DockerClient Create() =>
        new DockerClientBuilder().WithEndpoint(EndpointUri).WithTimeout(TimeSpan.FromMinutes(10)).Build();

    /// <summary>Pings the engine; throws <see cref="EngineUnavailableException"/> with the fix when it does not answer.</summary>
    public static async Task EnsureReachableAsync(DockerClient docker, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await docker.System.PingAsync(timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new EngineUnavailableException(
                $"cannot reach the Docker engine at {EndpointUri} ({e.GetBaseException().Message}); start it " +
                "('scripts/start' does, or 'systemctl start docker'), or point DOCKER_HOST at a running engine", e);
        }
    }
}

internal sealed class EngineUnavailableException : Exception
{
    public EngineUnavailableException(string message)
        : base(message)
    {
    }

    public EngineUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
