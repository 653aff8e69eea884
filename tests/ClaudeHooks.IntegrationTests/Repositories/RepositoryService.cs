using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// The real service process on a config of its own: the Docker fixture's (same home, agent containers, scripted model
/// and git remote) changed by the test, typically with a <c>repositories</c> section. Warm sandboxes are off, so every
/// sandbox is a task's own, made from the image its profile chose. Only one service may run at a time: each removes
/// the sandboxes of the prefix that its own database does not hold.
/// </summary>
public sealed class RepositoryService : IAsyncDisposable
{
    private readonly string _directory;

    private RepositoryService(ServiceProcess process, string directory)
    {
        Process = process;
        _directory = directory;
    }

    public ServiceProcess Process { get; }

    public string ConfigFile => Path.Combine(_directory, "agents.json");

    public static async Task<RepositoryService> StartAsync(DockerFixture fixture, Action<JsonObject> configure)
    {
        var directory = Directory.CreateTempSubdirectory("claude-hooks-repositories-").FullName;
        try
        {
            var config = JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile))!.AsObject();
            foreach (var (_, agent) in config["agents"]!.AsObject())
            {
                agent!["warm_sandboxes"] = 0;
            }

            configure(config);
            var file = Path.Combine(directory, "agents.json");
            await File.WriteAllTextAsync(file, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var process = await ServiceProcess.StartAsync(file, fixture.Home, Path.Combine(directory, "data"), ServiceProcess.FreePort());
            return new RepositoryService(process, directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>The fixture's git remote as a URL pattern for one owner: the key of a <c>repositories</c> entry for task API work.</summary>
    public static string Pattern(DockerFixture fixture, string owner) => $"http://127.0.0.1:{fixture.Git.Port}/{owner}/*";

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostTaskAsync(object body)
    {
        using var response = await Process.Client.PostAsJsonAsync("task", body);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public async Task<string> SubmitAsync(object body)
    {
        var (status, json) = await PostTaskAsync(body);
        Assert.True(status == HttpStatusCode.Accepted, $"submit answered {(int)status}: {json}");
        return json.GetProperty("task_id").GetString()!;
    }

    public async Task<JsonElement> WaitForEndAsync(string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var task = await Process.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cancellationToken);
            if (task.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed_out")
            {
                return task;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Submits a task and waits for its end; returns the task as <c>GET /task/{id}</c> shows it and its events.</summary>
    public async Task<(string Id, JsonElement Task, IReadOnlyList<TaskEvent> Events)> RunAsync(object body, CancellationToken cancellationToken)
    {
        var id = await SubmitAsync(body);
        var task = await WaitForEndAsync(id, cancellationToken);
        return (id, task, await EventsAsync(id, cancellationToken));
    }

    /// <summary>Every stored event of the task, replayed through <c>GET /task/{id}/events?follow=false</c>.</summary>
    public async Task<IReadOnlyList<TaskEvent>> EventsAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await Process.Client.GetAsync($"task/{id}/events?follow=false", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        var events = new List<TaskEvent>();
        (long Seq, string? Type) current = (0, null);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                current = (long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture), null);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                current.Type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && current.Type is { } type && type != "end")
            {
                events.Add(new TaskEvent(current.Seq, type, line[6..]));
                current = (0, null);
            }
        }

        return events;
    }

    /// <summary>The task's egress records (<c>GET /egress?task=</c>), waiting until <paramref name="until"/> holds: records are written in batches off the request path.</summary>
    public async Task<IReadOnlyList<JsonElement>> EgressAsync(string taskId, Func<IReadOnlyList<JsonElement>, bool> until, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var page = await Process.Client.GetFromJsonAsync<JsonElement>($"egress?task={taskId}&limit=1000", cancellationToken);
            var records = page.GetProperty("records").EnumerateArray().ToList();
            if (until(records) || DateTime.UtcNow > deadline)
            {
                return records;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    public async Task<int> CountTasksAsync() =>
        (await Process.Client.GetFromJsonAsync<JsonElement>("tasks?limit=500")).GetProperty("tasks").GetArrayLength();

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
