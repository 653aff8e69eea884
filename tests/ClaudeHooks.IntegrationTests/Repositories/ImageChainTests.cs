using System.Text.Json.Nodes;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// The image chain on a real engine: every level names an image of its own (a marker image made for this run), and
/// one real task per level runs in the image of the first level that names one: the task request (among
/// <c>images.selectable</c>), the repository's entry, the agent's own image, <c>images.default</c>. Each task says so
/// in its <c>runner/image</c> event, the engine created its sandbox from that image, and a command in the sandbox
/// reads that image's marker. (The built-in base, the last level, needs a config without <c>images.default</c>: see
/// <see cref="RepositoryRulesTests"/>.)
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class ImageChainTests(DockerFixture fixture, SharedService shared) : IClassFixture<SharedService>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static readonly string[] Levels = ["request", "repository", "agent", "default"];

    /// <summary>Repositories under this owner have a repositories entry naming the repository level's image.</summary>
    private string EntryOwner => $"chain-{shared.Id}";

    /// <summary>Repositories under this owner have no entry.</summary>
    private string PlainOwner => $"chain-plain-{shared.Id}";

    [SkippableFact]
    public Task TaskRequest_ASelectableImage_WinsOverTheRepositoryAgentAndDefault() =>
        RunAtLevelAsync("dev", EntryOwner, requested: Image("request"), "request", "task request", "the task's image field");

    [SkippableFact]
    public Task Repository_TheEntrysImage_WinsOverTheAgentAndDefault() =>
        RunAtLevelAsync("dev", EntryOwner, requested: null, "repository", "repository", $"repositories.{RepositoryService.Pattern(fixture, EntryOwner)}.image");

    [SkippableFact]
    public Task Agent_ItsOwnImage_WinsOverTheDefault() =>
        RunAtLevelAsync("dev", PlainOwner, requested: null, "agent", "agent", "agents.dev.image");

    [SkippableFact]
    public Task ImagesDefault_IsTheImageOfAnAgentWithoutItsOwn() =>
        RunAtLevelAsync("reviewer", PlainOwner, requested: null, "default", "images.default", "images.default");

    private string Image(string level) => $"claude-hooks/it-chain-{level}-{shared.Id}:latest";

    private async Task RunAtLevelAsync(string agent, string owner, string? requested, string level, string chosenBy, string source)
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync(cts.Token);
        fixture.Git.RequiredToken = agent == "dev" ? fixture.DevToken : null;
        var name = $"{level}-{Guid.NewGuid().ToString("N")[..8]}";
        var repo = await fixture.Git.CreateRepositoryAsync(owner, name, new Dictionary<string, string> { ["README.md"] = "# chain\n" });
        fixture.Model.EnqueueFor($"chain-{name}", ScriptedTurn.Bash(MarkerImages.ReadMarker), ScriptedTurn.Text("read the marker"));
        var since = DateTimeOffset.UtcNow;

        var (id, task, events) = await service.RunAsync(requested is null
            ? new { agent, repo, prompt = $"chain-{name}: which image is this?", thread = "issue-1" }
            : new { agent, repo, prompt = $"chain-{name}: which image is this?", thread = "issue-1", image = requested }, cts.Token);

        Assert.True(task.GetProperty("state").GetString() == "succeeded", task.ToString());
        var chosen = TaskEvent.Single(events, "runner/image");
        Assert.Equal(Image(level), chosen.GetProperty("image").GetString());
        Assert.Equal(chosenBy, chosen.GetProperty("chosen_by").GetString());
        Assert.Equal(source, chosen.GetProperty("source").GetString());

        // The engine made the task's sandbox from that image, and inside it the image's own marker is there.
        var sandbox = ResourceNames.Sandbox(fixture.Prefix, agent, ResourceNames.TaskKey(id));
        var created = await EngineEvents.ContainersCreatedAsync(fixture.Docker, fixture.Prefix, since, DateTimeOffset.UtcNow, cts.Token);
        Assert.Contains((sandbox, Image(level)), created);
        var seen = Assert.Single(TaskEvent.ToolResults(events));
        Assert.Contains(MarkerImages.Marker(level), seen, StringComparison.Ordinal);
        Assert.Contains("marker=0", seen, StringComparison.Ordinal);
    }

    private Task<RepositoryService> ServiceAsync(CancellationToken cancellationToken) => shared.GetAsync(async () =>
    {
        foreach (var level in Levels)
        {
            shared.OnDispose(() => MarkerImages.RemoveAsync(fixture.Docker, Image(level)));
            await MarkerImages.BuildAsync(fixture.Docker, Image(level), level, cancellationToken);
        }

        return await RepositoryService.StartAsync(fixture, config =>
        {
            config["images"] = new JsonObject { ["default"] = Image("default"), ["selectable"] = new JsonArray(Image("request")) };
            config["agents"]!["dev"]!["image"] = Image("agent");
            config["repositories"] = new JsonObject { [RepositoryService.Pattern(fixture, EntryOwner)] = new JsonObject { ["image"] = Image("repository") } };
        });
    });
}
