using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Forge;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.Tests.Cli;

/// <summary>The task API with the service's auth on a loopback port, over a real SQLite store the test writes tasks into.</summary>
internal sealed class TaskApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _transcriptReads;

    private TaskApiServer(WebApplication app, SqliteTaskStore store, Database database, string url)
    {
        _app = app;
        Store = store;
        Database = database;
        Url = url;
    }

    public SqliteTaskStore Store { get; }

    public Database Database { get; }

    public string Url { get; }

    /// <summary>How many pages of a transcript have been asked for: a follower that has asked once is waiting.</summary>
    public int TranscriptReads => Volatile.Read(ref _transcriptReads);

    /// <summary>Serves the API for the claude-hooks home <paramref name="home"/>, whose api-token it creates.</summary>
    public static async Task<TaskApiServer> StartAsync(string home)
    {
        var paths = new ClaudeHooksPaths(home);
        var config = ConfigLoader.Parse("/etc/claude-hooks/agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", paths);
        var database = await Database.OpenAndMigrateAsync(Path.Combine(home, "data"));
        var store = new SqliteTaskStore(database, TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton<ITaskStore>(store);
        builder.Services.AddSingleton<IForgeStore>(store);
        builder.Services.AddSingleton(new TaskEventBus(store));
        builder.Services.AddSingleton(SecretRedactor.FormatsOnly);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new SignedLinks(new byte[32]));
        builder.Services.AddSingleton<TaskSignals>();
        builder.Services.AddSingleton<ITaskReactions, NoTaskReactions>();
        builder.Services.AddSingleton<TaskStateMachine>();
        builder.Services.AddSingleton<BudgetLedger>();
        builder.Services.AddSingleton<IdempotencyKeys>();
        builder.Services.AddSingleton<ClaudeHooks.Hosting.DiskGuard>();
        var app = builder.Build();
        TaskApiServer? server = null;
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value!.EndsWith("/transcript", StringComparison.Ordinal) && server is not null)
            {
                Interlocked.Increment(ref server._transcriptReads);
            }

            return next(context);
        });
        app.UseApiSecurity(ApiToken.LoadOrCreate(paths, out _), config);
        app.MapTaskApi();
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new TaskApiServer(app, store, database, url);
        return server;
    }

    /// <summary>A task created at <paramref name="at"/>, in <paramref name="state"/>, with <paramref name="outcome"/> stored as its outcome.</summary>
    public async Task<string> AddTaskAsync(string id, TaskState state, DateTimeOffset at, object? outcome = null)
    {
        await Store.CreateTaskAsync(new TaskRecord(id, "dev", "https://forge.example/o/r", null, $"issue-{id}", "do it", state, 1, at, at, null), "submitted", CancellationToken.None);
        if (outcome is not null)
        {
            await ExecuteAsync("UPDATE tasks SET outcome = $value WHERE id = $id", id, JsonSerializer.Serialize(outcome));
        }

        return id;
    }

    /// <summary>An event stored at <paramref name="at"/> (not now), as a replay of an old task has them.</summary>
    public async Task AddEventAsync(string id, long seq, DateTimeOffset at, string type, object data)
    {
        await using var connection = await Database.OpenAsync();
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO task_events (task_id, seq, at, type, data) VALUES ($id, $seq, $at, $type, $data)";
        insert.Parameters.AddWithValue("$id", id);
        insert.Parameters.AddWithValue("$seq", seq);
        insert.Parameters.AddWithValue("$at", SqliteTaskStore.Format(at));
        insert.Parameters.AddWithValue("$type", type);
        insert.Parameters.AddWithValue("$data", JsonSerializer.Serialize(data));
        await insert.ExecuteNonQueryAsync();
    }

    /// <summary>Moves the task to <paramref name="state"/> as the worker would, without a history row (the API reads only the state).</summary>
    public Task SetStateAsync(string id, TaskState state) => ExecuteAsync("UPDATE tasks SET state = $value WHERE id = $id", id, state.ToName());

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    private async Task ExecuteAsync(string sql, string id, string value)
    {
        await using var connection = await Database.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$value", value);
        await command.ExecuteNonQueryAsync();
    }
}
