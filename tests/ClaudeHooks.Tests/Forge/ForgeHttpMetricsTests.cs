using ClaudeHooks.Forge;
using ClaudeHooks.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Forge;

/// <summary>The forge client's attempts and retries on the ClaudeHooks meter, against a scripted loopback forge.</summary>
public sealed class ForgeHttpMetricsTests : IAsyncDisposable
{
    private static readonly ForgeHttpOptions Fast = new() { BaseDelay = TimeSpan.FromMilliseconds(20), AttemptTimeout = TimeSpan.FromSeconds(5) };
    private readonly MeterRecorder _recorder = new();
    private ScriptedForgeServer? _server;
    private ServiceProvider? _provider;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }

        _recorder.Dispose();
    }

    [Fact]
    public async Task Get_503ThenOk_CountsBothAttemptsByStatusClassAndOneRetry()
    {
        _server = await ScriptedForgeServer.StartAsync((c, n) => n == 1
            ? ScriptedForgeServer.Json(c, 503, """{"message":"maintenance"}""")
            : ScriptedForgeServer.Json(c, 200, """{"id":7,"login":"dev-bot"}"""));

        var user = await Client().GetCurrentUserAsync(CancellationToken.None);

        Assert.Equal("dev-bot", user.Login);
        Assert.Equal([("GET", "5xx"), ("GET", "2xx")], _recorder.Values("claude_hooks.forge.requests").Select(m => (m.Tags["method"], m.Tags["outcome"])));
        Assert.Equal(["GET"], _recorder.Values("claude_hooks.forge.retries").Select(m => m.Tags["method"]));
    }

    [Fact]
    public async Task Post_422_CountedOnceAndNeverRetried()
    {
        _server = await ScriptedForgeServer.StartAsync((c, _) => ScriptedForgeServer.Json(c, 422, """{"message":"invalid"}"""));

        await Assert.ThrowsAsync<ForgeApiException>(() => Client().CreateCommentAsync("o/r", 1, "hello", CancellationToken.None));

        Assert.Equal([("POST", "4xx")], _recorder.Values("claude_hooks.forge.requests").Select(m => (m.Tags["method"], m.Tags["outcome"])));
        Assert.Empty(_recorder.Values("claude_hooks.forge.retries"));
    }

    private ForgejoClient Client()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_recorder.Metrics);
        services.AddForgeHttpClient(Fast);
        _provider = services.BuildServiceProvider();
        return new ForgejoClient(_provider.GetRequiredService<IHttpClientFactory>().CreateClient(ForgeHttp.ClientName), _server!.Url, "token-1");
    }
}
