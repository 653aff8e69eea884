using System.Net;
using System.Text.Json;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.Tests.Dashboard;

/// <summary>The transcript's endpoints on a real listener, read through a task's signed link.</summary>
public sealed class TranscriptApiTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly SignedLinks _links = new(new byte[32]);
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private SqliteTaskStore _store = null!;

    public async Task InitializeAsync()
    {
        var database = await Database.OpenAndMigrateAsync(_data.Path);
        _store = new SqliteTaskStore(database, TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton<ITaskStore>(_store);
        builder.Services.AddSingleton(new TaskEventBus(_store));
        builder.Services.AddSingleton(SecretRedactor.FormatsOnly);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(_links);
        _app = builder.Build();
        _app.MapTranscript();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(20) };

        await _store.CreateTaskAsync(new TaskRecord("a", "dev", "https://f/o/r", null, "issue-1", "do it", TaskState.Queued, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null), "submitted", CancellationToken.None);
        await _store.AppendEventAsync("a", "assistant", """{"type":"assistant","message":{"content":[{"type":"text","text":"<b>hi</b>"},{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"ls"}}]}}""", CancellationToken.None);
        // The rest in one transaction: the store commits (and syncs) every event on its own.
        await using var connection = await database.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        for (var i = 2; i <= 250; i++)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO task_events (task_id, seq, at, type, data) VALUES ('a', $seq, $at, 'runner/stderr', $data)";
            insert.Parameters.AddWithValue("$seq", i);
            insert.Parameters.AddWithValue("$at", SqliteTaskStore.Format(DateTimeOffset.UtcNow));
            insert.Parameters.AddWithValue("$data", JsonSerializer.Serialize(new { line = $"line {i} " + new string('x', 3000) }));
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _data.Dispose();
    }

    [Fact]
    public async Task Page_SharedLink_NewestPageWithEarlier()
    {
        using var json = await JsonAsync($"/ui/tasks/a/transcript?{Proof("a")}");

        var entries = json.RootElement.GetProperty("entries");
        Assert.Equal(200, entries.GetArrayLength());
        Assert.Equal(51, entries[0].GetProperty("seq").GetInt64());
        Assert.Equal(250, entries[199].GetProperty("seq").GetInt64());
        Assert.Equal(51, json.RootElement.GetProperty("earlier").GetInt64());
        Assert.True(entries[0].GetProperty("truncated").GetBoolean());
        Assert.Equal(TranscriptView.ShownLength, entries[0].GetProperty("text").GetString()!.Length);
        Assert.True(entries[0].GetProperty("full_length").GetInt32() > 3000);
    }

    [Fact]
    public async Task Page_Before_ThePageAheadOfItAndNoEarlierAtTheStart()
    {
        using var json = await JsonAsync($"/ui/tasks/a/transcript?before=51&limit=500&{Proof("a")}");

        var entries = json.RootElement.GetProperty("entries");
        Assert.Equal(["1.1", "1.2"], entries.EnumerateArray().Take(2).Select(e => e.GetProperty("id").GetString()));
        Assert.Equal("<b>hi</b>", entries[0].GetProperty("text").GetString());
        Assert.Equal("toolu_1", entries[1].GetProperty("tool_use_id").GetString());
        Assert.Equal(50, entries[entries.GetArrayLength() - 1].GetProperty("seq").GetInt64());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("earlier").ValueKind);
    }

    [Fact]
    public async Task Event_OneSeq_ItsEntriesUncut()
    {
        using var json = await JsonAsync($"/ui/tasks/a/transcript/7?{Proof("a")}");

        var entry = Assert.Single(json.RootElement.GetProperty("entries").EnumerateArray());
        Assert.False(entry.GetProperty("truncated").GetBoolean());
        Assert.Equal($"line 7 {new string('x', 3000)}", entry.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("/ui/tasks/a/transcript/999", HttpStatusCode.NotFound)]
    [InlineData("/ui/tasks/a/transcript?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("/ui/tasks/a/transcript?limit=501", HttpStatusCode.BadRequest)]
    [InlineData("/ui/tasks/a/transcript?before=x", HttpStatusCode.BadRequest)]
    [InlineData("/ui/tasks/a/transcript/stream?after=-1", HttpStatusCode.BadRequest)]
    public async Task Endpoints_BadRequest_JsonProblem(string path, HttpStatusCode status)
    {
        using var response = await _client.GetAsync($"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}{Proof("a")}");

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/ui/tasks/a/transcript")]
    [InlineData("/ui/tasks/a/transcript/1")]
    [InlineData("/ui/tasks/a/transcript/stream")]
    public async Task Endpoints_NoProof_Forbidden(string path)
    {
        using var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Page_AnotherTasksLink_Forbidden()
    {
        await _store.CreateTaskAsync(new TaskRecord("b", "dev", "https://f/o/r", null, "issue-2", "do it", TaskState.Queued, 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null), "submitted", CancellationToken.None);

        using var response = await _client.GetAsync($"/ui/tasks/b/transcript?{Proof("a")}");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Page_ExpiredLink_GoneSayingSo()
    {
        var query = _links.PathFor(DashboardAccess.TaskResource("a"), DateTimeOffset.UtcNow.AddMinutes(-1)).Split('?')[1];

        using var response = await _client.GetAsync($"/ui/tasks/a/transcript?{query}");

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_UnknownTaskWithItsLink_NotFound()
    {
        using var response = await _client.GetAsync($"/ui/tasks/zzz/transcript?{Proof("zzz")}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Stream_FinishedTask_FramesWithIdsAfterLastEventIdThenEnd()
    {
        Assert.True(await _store.ApplyAsync(new TaskTransition("a", TaskState.Queued, TaskState.Cancelled, "cancelled"), CancellationToken.None));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ui/tasks/a/transcript/stream?after=3&{Proof("a")}");
        request.Headers.Add("Last-Event-ID", "247");

        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var all = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("event: ping", all[0], StringComparison.Ordinal);
        var frames = all[1..];
        Assert.Equal(4, frames.Length);
        Assert.Contains("id: 248", frames[0], StringComparison.Ordinal);
        Assert.Contains("event: entries", frames[0], StringComparison.Ordinal);
        Assert.Contains("\"full_length\":", frames[0], StringComparison.Ordinal);
        Assert.Contains("id: 250", frames[2], StringComparison.Ordinal);
        Assert.Contains("event: end", frames[3], StringComparison.Ordinal);
        Assert.Contains("\"state\":\"cancelled\"", frames[3], StringComparison.Ordinal);
    }

    private string Proof(string task) => _links.PathFor(DashboardAccess.TaskResource(task), DateTimeOffset.UtcNow.AddHours(1)).Split('?')[1];

    private async Task<JsonDocument> JsonAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }
}
