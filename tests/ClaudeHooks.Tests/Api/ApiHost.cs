using System.Net.Http.Headers;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Hosting;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using Docker.DotNet;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.Tests.Api;

/// <summary>
/// The service's own composition and HTTP pipeline on a loopback listener, with a real SQLite database: only the
/// background services (workers, gateway, forge dispatcher) are left out, so nothing runs a task or needs an engine.
/// </summary>
internal sealed class ApiHost : IAsyncDisposable
{
    public const string Repo = "owner/repo";

    private readonly TempDirectory _home;
    private readonly TempDirectory _data;

    private ApiHost(TempDirectory home, TempDirectory data, WebApplication app, HttpClient client, HttpClient anonymous, SqliteTaskStore store, Database database)
    {
        _home = home;
        _data = data;
        App = app;
        Client = client;
        Anonymous = anonymous;
        Store = store;
        Database = database;
    }

    public WebApplication App { get; }

    /// <summary>Sends the API token.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no token.</summary>
    public HttpClient Anonymous { get; }

    public SqliteTaskStore Store { get; }

    public Database Database { get; }

    /// <summary>Starts the host on <paramref name="configJson"/> (default: the three agents and <see cref="Repo"/> on a Forgejo); <paramref name="prepare"/> writes files into the home first.</summary>
    public static async Task<ApiHost> StartAsync(string? configJson = null, Action<string>? prepare = null)
    {
        var home = new TempDirectory();
        var data = new TempDirectory();
        var paths = new ClaudeHooksPaths(home.Path);
        prepare?.Invoke(home.Path);
        var config = ConfigLoader.Parse("agents.json", configJson ?? $$"""
            {
              "agents": { "boss": { "role": "lead", "forge_user": "lead-bot" }, "dev": { "role": "dev", "forge_user": "dev-bot" }, "reviewer": { "role": "reviewer", "forge_user": "review-bot" } },
              "forge": {
                "public_url": "https://hooks.example",
                "repositories": { "{{Repo}}": { "url": "https://forge.example", "webhook_secret_file": "webhooks/w", "authorized_users": ["alice"] } }
              }
            }
            """, paths);
        var database = await Database.OpenAndMigrateAsync(data.Path);
        var token = ApiToken.LoadOrCreate(paths, out _);
        var docker = new DockerClientBuilder().WithEndpoint(new Uri($"unix://{Path.Combine(home.Path, "no-engine.sock")}")).Build();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddApplicationServices(config, paths, docker, database, SecretRedactor.FormatsOnly, token);
        var ours = typeof(ServiceComposition).Assembly;
        foreach (var background in builder.Services.Where(d => d.ServiceType == typeof(IHostedService)
            && ((d.ImplementationType?.Assembly ?? d.ImplementationFactory?.Method.DeclaringType?.Assembly) == ours)).ToList())
        {
            builder.Services.Remove(background);
        }

        var app = builder.Build();
        app.MapApplicationApis(token, config);
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken.Read(paths));
        var anonymous = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        return new ApiHost(home, data, app, client, anonymous, app.Services.GetRequiredService<SqliteTaskStore>(), database);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _home.Dispose();
        _data.Dispose();
    }

    /// <summary>A body <c>POST /task</c> accepts.</summary>
    public static string Submission(string prompt) => $$"""{"agent":"dev","repo":"https://forge.example/{{Repo}}","prompt":"{{prompt}}"}""";
}
