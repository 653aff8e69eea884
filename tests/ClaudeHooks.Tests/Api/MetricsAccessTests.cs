using System.Net;
using System.Net.Http.Headers;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Api;

/// <summary>Who may read <c>/metrics</c>: the API security in front of a stand-in endpoint, served on loopback.</summary>
public sealed class MetricsAccessTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Metrics_ClosedByDefault_NeedsTheBearerToken()
    {
        await using var app = await StartAsync(open: false);
        using var anonymous = new HttpClient { BaseAddress = app.Url };
        using var authorised = new HttpClient { BaseAddress = app.Url };
        authorised.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.Token);

        using var refused = await anonymous.GetAsync("metrics");
        using var allowed = await authorised.GetAsync("metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Metrics_OpenToLoopback_ReadableWithoutTokenButTheRestOfTheApiIsNot()
    {
        await using var app = await StartAsync(open: true);
        using var anonymous = new HttpClient { BaseAddress = app.Url };

        using var metrics = await anonymous.GetAsync("metrics");
        using var tasks = await anonymous.GetAsync("tasks");
        using var posted = await anonymous.PostAsync("metrics", new StringContent(""));

        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal("stand-in", await metrics.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, tasks.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, posted.StatusCode);
    }

    private async Task<Served> StartAsync(bool open)
    {
        var paths = new ClaudeHooksPaths(_home.Path);
        var config = ConfigLoader.Parse("/etc/claude-hooks/agents.json", $$"""{ "service": { "metrics_open_to_loopback": {{(open ? "true" : "false")}} }, "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", paths);
        var token = ApiToken.LoadOrCreate(paths, out _);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.UseApiSecurity(token, config);
        app.MapGet(ServiceTelemetry.MetricsPath, () => "stand-in");
        app.MapPost(ServiceTelemetry.MetricsPath, () => "stand-in");
        app.MapGet("/tasks", () => "tasks");
        await app.StartAsync();
        var url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new Served(app, url, ApiToken.Read(paths));
    }

    private sealed record Served(WebApplication App, Uri Url, string Token) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
