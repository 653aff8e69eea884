using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using Docker.DotNet;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// The engine's view of the agents for the dashboard, asked at most every two seconds however many browsers
/// refresh: a page never waits on the engine more than once per interval.
/// </summary>
internal sealed class EngineSnapshot(DockerClient docker, AgentsConfig config, TimeProvider clock)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (EngineStatus Status, DateTimeOffset At)? _last;

    public async Task<EngineStatus> GetAsync(CancellationToken cancellationToken)
    {
        if (_last is { } fresh && clock.GetUtcNow() - fresh.At < MaxAge)
        {
            return fresh.Status;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } again && clock.GetUtcNow() - again.At < MaxAge)
            {
                return again.Status;
            }

            var containerised = Agents.LocalMode.Containerised(config);
            var status = containerised.Count == 0
                ? new EngineStatus(false, false, "", false, [], [])
                : await new EngineHealth(docker, config with { Agents = containerised }).CheckAsync(cancellationToken);
            _last = (status, clock.GetUtcNow());
            return status;
        }
        finally
        {
            _gate.Release();
        }
    }
}
