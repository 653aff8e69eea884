using System.Net;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Api;

/// <summary>The errors the framework answers itself (no route, wrong method) and conflicts are problems like every other.</summary>
public sealed class ApiStatusPagesTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/nothing-here")]
    [InlineData("/task/x/nothing")]
    [InlineData("/api/nothing")]
    public async Task UnknownRoute_Get_404Problem(string path)
    {
        using var response = await _host.Client.GetAsync(path);

        using var problem = await ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(path, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("Not Found", problem.RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Task_Delete_405ProblemNamingTheAllowedMethod()
    {
        using var response = await _host.Client.DeleteAsync("/tasks");

        using var problem = await ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("DELETE is not allowed on /tasks; use GET", problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task DashboardUnknownPage_Get_StaysAnHtmlPage()
    {
        using var response = await _host.Client.GetAsync("/ui/nothing-here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cancel_EndedTask_409ProblemWithItsState()
    {
        var now = DateTimeOffset.UtcNow;
        await _host.Store.CreateTaskAsync(new TaskRecord("t-ended", "dev", "https://forge.example/owner/repo", null, "issue-1", "p", TaskState.Cancelled, 0, now, now, null), "made ended", CancellationToken.None);

        using var response = await _host.Client.PostAsync("/task/t-ended/cancel", new StringContent("", Encoding.UTF8));

        using var problem = await ProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Equal("cancelled", problem.RootElement.GetProperty("state").GetString());
        Assert.Equal("t-ended", problem.RootElement.GetProperty("task_id").GetString());
    }

    private static async Task<JsonDocument> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.TryGetProperty("type", out _));
        return problem;
    }
}
