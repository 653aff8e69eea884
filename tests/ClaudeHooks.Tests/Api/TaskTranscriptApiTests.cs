using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ClaudeHooks.Tasks;
using ClaudeHooks.Tests.Cli;

namespace ClaudeHooks.Tests.Api;

/// <summary><c>GET /task/{id}/transcript</c> on a real listener: pages of stored events with their times, behind the bearer token.</summary>
public sealed class TaskTranscriptApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset At = new(2021, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private readonly TempDirectory _home = new();
    private TaskApiServer _api = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _api = await TaskApiServer.StartAsync(_home.Path);
        _client = new HttpClient { BaseAddress = new Uri(_api.Url) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(Path.Combine(_home.Path, "api-token"))).Trim());
        await _api.AddTaskAsync("t", TaskState.Running, At);
        for (var seq = 1; seq <= 3; seq++)
        {
            await _api.AddEventAsync("t", seq, At.AddSeconds(seq), "runner/stderr", new { line = $"line {seq}" });
        }
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        _home.Dispose();
    }

    [Fact]
    public async Task Get_AfterAndLimit_APageWithStoredTimesAndWhereTheNextStarts()
    {
        using var page = JsonDocument.Parse(await _client.GetStringAsync("task/t/transcript?after=1&limit=1"));

        var only = Assert.Single(page.RootElement.GetProperty("events").EnumerateArray());
        Assert.Equal(2, only.GetProperty("seq").GetInt64());
        Assert.Equal(At.AddSeconds(2), only.GetProperty("at").GetDateTimeOffset());
        Assert.Equal("line 2", JsonDocument.Parse(only.GetProperty("data").GetString()!).RootElement.GetProperty("line").GetString());
        Assert.Equal(2, page.RootElement.GetProperty("next_after").GetInt64());
        Assert.Equal("running", page.RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Get_LastPage_HasNoNextAfter()
    {
        using var page = JsonDocument.Parse(await _client.GetStringAsync("task/t/transcript?after=2"));

        Assert.Equal(3, Assert.Single(page.RootElement.GetProperty("events").EnumerateArray()).GetProperty("seq").GetInt64());
        Assert.Equal(JsonValueKind.Null, page.RootElement.GetProperty("next_after").ValueKind);
    }

    [Theory]
    [InlineData("after=-1", "after")]
    [InlineData("after=x", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    public async Task Get_BadParameter_Is400NamingIt(string query, string field)
    {
        using var response = await _client.GetAsync($"task/t/transcript?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Get_UnknownTask_Is404()
    {
        using var response = await _client.GetAsync("task/nope/transcript");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Get_WithoutToken_Is401()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_api.Url) };

        using var response = await anonymous.GetAsync("task/t/transcript");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
