using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Api;

/// <summary>The task API over HTTP: Idempotency-Key on submit, and keyset paging of the list.</summary>
public sealed class TaskApiTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Submit_SameKeyAndBodyTwice_OneTaskAndTheSameAnswer()
    {
        using var first = await SubmitAsync(ApiHost.Submission("once"), "key-1");
        using var second = await SubmitAsync(ApiHost.Submission("once"), "key-1");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var id = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString();
        Assert.Equal(id, (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(await _host.Store.ListTasksAsync(new TaskQuery(null, null, null, 100, null), CancellationToken.None));
    }

    [Fact]
    public async Task Submit_SameKeyOtherBody_422NamingTheHeaderAndNoSecondTask()
    {
        using var first = await SubmitAsync(ApiHost.Submission("one thing"), "key-2");
        using var second = await SubmitAsync(ApiHost.Submission("another thing"), "key-2");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("already used for task t", problem.GetProperty("errors").GetProperty(IdempotencyKeys.Header)[0].GetString(), StringComparison.Ordinal);
        Assert.Single(await _host.Store.ListTasksAsync(new TaskQuery(null, null, null, 100, null), CancellationToken.None));
    }

    [Fact]
    public async Task Submit_DifferentKeys_TwoTasks()
    {
        using var first = await SubmitAsync(ApiHost.Submission("same"), "key-a");
        using var second = await SubmitAsync(ApiHost.Submission("same"), "key-b");

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(2, (await _host.Store.ListTasksAsync(new TaskQuery(null, null, null, 100, null), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Submit_SameKeyAtOnce_OneTask()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SubmitAsync(ApiHost.Submission("raced"), "key-race")));

        try
        {
            // A request that finds the key claimed but its task not yet stored is told to retry (409); none makes a second task.
            Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
            Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.Accepted && !a.Headers.Contains("Idempotent-Replayed"));
            Assert.Single(await _host.Store.ListTasksAsync(new TaskQuery(null, null, null, 100, null), CancellationToken.None));
        }
        finally
        {
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("x")]
    public async Task Submit_BadKey_400NamingTheHeaderAndNothingStored(string key)
    {
        key = key == "x" ? new string('x', IdempotencyKeys.MaxLength + 1) : key;

        using var response = await SubmitAsync(ApiHost.Submission("refused"), key);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(IdempotencyKeys.Header, out _));
        Assert.Empty(await _host.Store.ListTasksAsync(new TaskQuery(null, null, null, 100, null), CancellationToken.None));
    }

    [Fact]
    public async Task Submit_KeyWithInvalidBody_400AndTheKeyStaysFree()
    {
        using var bad = await SubmitAsync("""{"agent":"nobody","repo":"https://forge.example/owner/repo","prompt":"p"}""", "key-3");
        using var good = await SubmitAsync(ApiHost.Submission("fixed"), "key-3");

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, good.StatusCode);
        Assert.False(good.Headers.Contains("Idempotent-Replayed"));
    }

    [Fact]
    public async Task List_CursorOverTasksOfOneInstant_EveryTaskOnceWhileMoreArrive()
    {
        var instant = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        var older = Enumerable.Range(0, 25).Select(i => $"t-{i:D2}").ToList();
        foreach (var id in older)
        {
            await CreateAsync(id, instant);
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var page = await _host.Client.GetFromJsonAsync<JsonDocument>($"/tasks?limit=10{(cursor is null ? "" : $"&cursor={cursor}")}");
            seen.AddRange(page!.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()!));
            cursor = page.RootElement.GetProperty("next").GetString();
            // New tasks arrive between pages: later ones, and ones of the same instant sorting before the cursor.
            await CreateAsync($"t-new-{pages}", instant.AddMinutes(1));
            await CreateAsync($"t-{pages:D2}-late", instant);
            pages++;
        }
        while (cursor is not null && pages < 10);

        var expected = older.Concat(Enumerable.Range(0, 3).Select(p => $"t-{p:D2}-late")).Order(StringComparer.Ordinal).Reverse().ToList();
        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(older.OrderDescending(StringComparer.Ordinal), seen.Where(older.Contains));
        Assert.Equal(3, pages);
        Assert.Subset(expected.ToHashSet(), seen.Where(s => s.EndsWith("-late", StringComparison.Ordinal)).ToHashSet());
    }

    [Fact]
    public async Task List_Before_StillPagesByTime()
    {
        var instant = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
        await CreateAsync("t-a", instant);
        await CreateAsync("t-b", instant.AddSeconds(1));

        using var page = await _host.Client.GetFromJsonAsync<JsonDocument>("/tasks?limit=1");
        var before = page!.RootElement.GetProperty("next_before").GetString();
        using var next = await _host.Client.GetFromJsonAsync<JsonDocument>($"/tasks?before={Uri.EscapeDataString(before!)}");

        Assert.Equal("t-b", page.RootElement.GetProperty("tasks")[0].GetProperty("id").GetString());
        Assert.Equal(["t-a"], next!.RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, next.RootElement.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("cursor=not-a-cursor")]
    [InlineData("cursor=dGltZXxpZA")]
    [InlineData("cursor=x&before=2026-11-23T09:00:00Z")]
    public async Task List_BadCursor_400NamingCursor(string query)
    {
        using var response = await _host.Client.GetAsync($"/tasks?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("cursor", out _));
    }

    private Task CreateAsync(string id, DateTimeOffset at) =>
        _host.Store.CreateTaskAsync(new TaskRecord(id, "dev", "https://forge.example/owner/repo", null, $"thread-{id}", "p", TaskState.Queued, 0, at, at, null), "seeded", CancellationToken.None);

    private async Task<HttpResponseMessage> SubmitAsync(string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/task") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, key);
        return await _host.Client.SendAsync(request);
    }
}
