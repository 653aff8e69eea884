using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>The bearer API, to set up what a page shows and to check what a page did.</summary>
internal static class ServiceCalls
{
    public static async Task<string> SubmitAsync(ServiceProcess service, object body)
    {
        using var response = await service.Client.PostAsJsonAsync("task", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"submit answered {(int)response.StatusCode}: {json}");
        return json.GetProperty("task_id").GetString()!;
    }

    public static async Task<JsonElement> GetTaskAsync(ServiceProcess service, string id, CancellationToken cancellationToken) =>
        await service.Client.GetFromJsonAsync<JsonElement>($"task/{id}", cancellationToken);

    public static async Task<JsonElement> WaitForEndAsync(ServiceProcess service, string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var task = await GetTaskAsync(service, id, cancellationToken);
            if (task.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed_out")
            {
                return task;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    public static async Task<List<JsonElement>> ListTasksAsync(ServiceProcess service, CancellationToken cancellationToken) =>
        [.. (await service.Client.GetFromJsonAsync<JsonElement>("tasks?limit=500", cancellationToken)).GetProperty("tasks").EnumerateArray()];

    /// <summary>A signed read-only link to the task: its <c>path</c>, <c>url</c> and <c>expires_at</c>.</summary>
    public static async Task<JsonElement> LinkAsync(ServiceProcess service, string id, string? ttl, CancellationToken cancellationToken)
    {
        using var response = ttl is null
            ? await service.Client.PostAsync($"task/{id}/link", null, cancellationToken)
            : await service.Client.PostAsJsonAsync($"task/{id}/link", new { ttl }, cancellationToken);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"link answered {(int)response.StatusCode}: {json}");
        return json;
    }

    /// <summary>A repository of its own on the fixture's git server, with one commit.</summary>
    public static async Task<string> NewRepositoryAsync(DockerFixture fixture, string prefix)
    {
        fixture.Git.RequiredToken = null;
        return await fixture.Git.CreateRepositoryAsync("it-owner", $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}", new Dictionary<string, string> { ["README.md"] = "# dashboard\n" });
    }

    /// <summary>The first task the list shows that <paramref name="match"/> accepts, once there is one.</summary>
    public static async Task<JsonElement> WaitForTaskAsync(ServiceProcess service, Func<JsonElement, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            foreach (var task in await ListTasksAsync(service, cancellationToken))
            {
                if (match(task))
                {
                    return task;
                }
            }

            await Task.Delay(300, cancellationToken);
        }
    }

    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            if (await probe() is { } result)
            {
                return result;
            }

            await Task.Delay(300, cancellationToken);
        }
    }
}
