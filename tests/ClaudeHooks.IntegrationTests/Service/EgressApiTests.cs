using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClaudeHooks.Gateway;
using ClaudeHooks.Persistence;
using ClaudeHooks.TestServers;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.IntegrationTests.Service;

/// <summary><c>GET /egress</c> of the real service process, over records stored in its database beforehand.</summary>
[Collection(DockerCollection.Name)]
public sealed class EgressApiTests(DockerFixture fixture) : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-egress-").FullName;
    private ServiceProcess? _service;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    [SkippableFact]
    public async Task Egress_FiltersAndPages_AndABadParameterIsNamedWithItsFix()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        _service = await ServiceProcess.StartAsync(fixture.ConfigFile, fixture.Home, _data, ServiceProcess.FreePort());
        var now = DateTimeOffset.UtcNow;
        await using (var log = new EgressLog(await Database.OpenAndMigrateAsync(_data), TimeProvider.System, NullLogger<EgressLog>.Instance))
        {
            log.Record(new EgressRecord(0, now.AddHours(-3), "t-old", "dev", EgressRecord.GitRoute, "forge.example", "GET", "/o/r.git/info/refs?service=git-upload-pack", 200, 900, 120, 40, EgressRecord.Allowed, "git route: the task's repository"));
            log.Record(new EgressRecord(0, now.AddMinutes(-5), "t-new", "dev", EgressRecord.ConnectRoute, "evil.example:443", "CONNECT", "", 403, 180, 0, 1, EgressRecord.Denied, "no allowlist entry matches evil.example"));
            log.Record(new EgressRecord(0, now.AddMinutes(-1), "t-review", "reviewer", EgressRecord.ModelRoute, "api.anthropic.com", "POST", "/v1/messages?beta=true", 200, 35_000, 4_000, 2_100, EgressRecord.Allowed, "model route: /v1/messages"));
        }

        var denied = await _service.Client.GetFromJsonAsync<JsonElement>("egress?agent=dev&decision=denied&since=1h");
        var firstPage = await _service.Client.GetFromJsonAsync<JsonElement>("egress?limit=2");
        var next = firstPage.GetProperty("next").GetInt64();
        var secondPage = await _service.Client.GetFromJsonAsync<JsonElement>($"egress?limit=2&after={next}");
        using var bad = await _service.Client.GetAsync("egress?decision=blocked&limit=5000");
        using var anonymous = new HttpClient { BaseAddress = _service.BaseUrl };
        using var unauthorized = await anonymous.GetAsync("egress");
        var openApi = await _service.Client.GetStringAsync("openapi/v1.json");

        var record = Assert.Single(denied.GetProperty("records").EnumerateArray());
        Assert.Equal("t-new", record.GetProperty("task").GetString());
        Assert.Equal("connect", record.GetProperty("route").GetString());
        Assert.Equal("evil.example:443", record.GetProperty("host").GetString());
        Assert.Equal(403, record.GetProperty("status").GetInt32());
        Assert.Equal(180, record.GetProperty("bytes_in").GetInt64());
        Assert.Equal("no allowlist entry matches evil.example", record.GetProperty("rule").GetString());
        Assert.Equal(JsonValueKind.Null, denied.GetProperty("next").ValueKind);
        Assert.Equal(["t-old", "t-new"], firstPage.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("task").GetString()));
        var last = Assert.Single(secondPage.GetProperty("records").EnumerateArray());
        Assert.Equal("/v1/messages", last.GetProperty("path").GetString());
        Assert.Equal("/o/r.git/info/refs", firstPage.GetProperty("records")[0].GetProperty("path").GetString());

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("use allowed or denied", errors.GetProperty("decision")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("from 1 to 1000", errors.GetProperty("limit")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Contains("\"/egress\"", openApi, StringComparison.Ordinal);
    }
}
