using ClaudeHooks.Containers;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>What the engine itself says was created, read from its event log afterwards, so nothing is missed however briefly a container lived.</summary>
internal static class EngineEvents
{
    /// <summary>The containers of <paramref name="prefix"/> created between the two times: their names and the image each was created from.</summary>
    public static async Task<IReadOnlyList<(string Name, string Image)>> ContainersCreatedAsync(DockerClient docker, string prefix, DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var created = new List<(string, string)>();
        var progress = new Collector(message =>
        {
            var attributes = message.Actor?.Attributes ?? new Dictionary<string, string>();
            lock (created)
            {
                created.Add((attributes.TryGetValue("name", out var name) ? name : message.Actor?.ID ?? "", attributes.TryGetValue("image", out var image) ? image : ""));
            }
        });
        await docker.System.MonitorEventsAsync(
            new ContainerEventsParameters
            {
                Since = since.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                Until = (until.ToUnixTimeSeconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["type"] = new Dictionary<string, bool> { ["container"] = true },
                    ["event"] = new Dictionary<string, bool> { ["create"] = true },
                    ["label"] = new Dictionary<string, bool> { [$"{ResourceNames.PrefixLabel}={prefix}"] = true },
                },
            },
            progress,
            cancellationToken);
        lock (created)
        {
            return [.. created];
        }
    }

    /// <summary>Calls back on the reporting thread (<see cref="Progress{T}"/> would post, and could run after the call returned).</summary>
    private sealed class Collector(Action<Message> report) : IProgress<Message>
    {
        public void Report(Message value) => report(value);
    }
}
