using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// A loopback HTTP server whose every answer a test scripts (by the request's number, from 1), recording each request
/// as it arrives: what the fake forge cannot do on demand, such as a read failing or an answer that never comes.
/// </summary>
internal sealed class ScriptedForgeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Recorded> _requests = new();

    private ScriptedForgeServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<Recorded> Requests => [.. _requests];

    public static async Task<ScriptedForgeServer> StartAsync(Func<HttpContext, int, Task> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new ScriptedForgeServer(app);
        var count = 0;
        app.Run(async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            server._requests.Enqueue(new Recorded(context.Request.Method, context.Request.Path, body, DateTimeOffset.UtcNow));
            await answer(context, Interlocked.Increment(ref count));
        });
        await app.StartAsync();
        server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    public static Task Json(HttpContext context, int status, string json, Action<IHeaderDictionary>? headers = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        headers?.Invoke(context.Response.Headers);
        return context.Response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    internal sealed record Recorded(string Method, string Path, string Body, DateTimeOffset At);
}
