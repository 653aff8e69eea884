using Docker.DotNet;

namespace ClaudeHooks.Containers;

/// <summary>Connects to the Docker engine named by <c>DOCKER_HOST</c> (default: the local Unix socket).</summary>
internal static class DockerConnection
{
    public static Uri EndpointUri
    {
        get
        {
            var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
            return new Uri(string.IsNullOrWhiteSpace(host) ? "unix:///var/run/docker.sock" : host);
        }
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

internal sealed class EngineUnavailableException(string message, Exception inner) : Exception(message, inner);
