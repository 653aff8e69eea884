using System.Text.Json;
using ClaudeHooks.Containers;
using Docker.DotNet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.Tests.Containers;

/// <summary>
/// What a build reports, against an engine on a Unix socket that answers like the classic builder: a stream of
/// JSON messages for <c>POST /build</c> and the tag's image for <c>GET /images/{tag}/json</c>.
/// </summary>
public sealed class ImageBuilderProgressTests : IAsyncLifetime
{
    private const string OldImage = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
    private const string NewImage = "sha256:0000000000000000000000000000000000000000000000000000000000000002";
    private readonly TempDirectory _directory = new();
    private WebApplication _engine = null!;
    private DockerClient _docker = null!;
    private IReadOnlyList<object> _messages = [];
    private string _tagged = OldImage;

    public async Task InitializeAsync()
    {
        var socket = Path.Combine(_directory.Path, "engine.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socket));
        builder.Logging.ClearProviders();
        _engine = builder.Build();
        _engine.Run(async context =>
        {
            if (context.Request.Path.Value!.EndsWith("/build", StringComparison.Ordinal))
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.ContentType = "application/json";
                foreach (var message in _messages)
                {
                    await context.Response.WriteAsync(JsonSerializer.Serialize(message) + "\r\n");
                    await context.Response.Body.FlushAsync();
                }
            }
            else if (context.Request.Path.Value.Contains("/images/", StringComparison.Ordinal))
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$"""{"Id":"{{_tagged}}","Size":1000000}""");
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
            }
        });
        await _engine.StartAsync();
        _docker = new DockerClientBuilder().WithEndpoint(new Uri($"unix://{socket}")).Build();
        _directory.Write("ctx/Dockerfile", "FROM scratch\n");
    }

    public async Task DisposeAsync()
    {
        _docker.Dispose();
        await _engine.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Build_ManyProgressLines_ReportsEachInTheEnginesOrderBeforeReturning()
    {
        _messages = [.. Enumerable.Range(1, 300).Select(i => (object)new { stream = $"Step {i}\n" }), new { aux = new { ID = NewImage } }];
        _tagged = NewImage;
        var lines = new List<string>();

        var built = await new ImageBuilder(_docker).BuildAsync(new ImageBuildRequest(Path.Combine(_directory.Path, "ctx"), "probe:1"), lines.Add, CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, 300).Select(i => $"Step {i}"), lines);
        Assert.Equal(NewImage, built.Id);
    }

    [Fact]
    public async Task Build_RebuildFailsAtTheEnd_ThrowsAndNeverReportsTheOldImageBuilt()
    {
        _messages = [.. Enumerable.Range(1, 50).Select(i => (object)new { stream = $"Step {i}\n" }), new { errorDetail = new { message = "RUN exit 3 returned 3" }, error = "RUN exit 3 returned 3" }];

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() =>
            new ImageBuilder(_docker).BuildAsync(new ImageBuildRequest(Path.Combine(_directory.Path, "ctx"), "probe:1"), _ => { }, CancellationToken.None));

        Assert.Equal("image build of probe:1 failed: RUN exit 3 returned 3", error.Message);
    }

    [Fact]
    public async Task Build_StreamEndsWithoutABuiltImage_ThrowsThoughTheTagStillNamesTheOldOne()
    {
        _messages = [new { stream = "Step 1/2 : FROM scratch\n" }];

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() =>
            new ImageBuilder(_docker).BuildAsync(new ImageBuildRequest(Path.Combine(_directory.Path, "ctx"), "probe:1"), _ => { }, CancellationToken.None));

        Assert.Contains("ended without the engine reporting a built image", error.Message, StringComparison.Ordinal);
    }
}
