using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Service;

/// <summary>
/// Health, readiness, the disk guard and <c>doctor</c> against a real <c>serve</c> with the real engine and agent
/// containers: what the service says when an agent cannot run or its disk fills, and back again.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class HealthTests(DockerFixture fixture) : IAsyncLifetime
{
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-health-").FullName;
    private readonly List<string> _files = [];
    private ServiceProcess? _service;
    private string? _mount;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_mount is not null)
        {
            await RunAsync("umount", _mount);
        }

        foreach (var file in _files)
        {
            File.Delete(file);
        }

        Directory.Delete(_data, recursive: true);
    }

    [SkippableFact]
    public async Task Health_AgentForgeTokenRemoved_TurnsFalseNamingTheAgentAndTheFix_AndTrueWhenItReturns()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        _service = await ServiceProcess.StartAsync(fixture.ConfigFile, fixture.Home, _data, ServiceProcess.FreePort());
        using var anonymous = new HttpClient { BaseAddress = _service.BaseUrl };
        var token = Path.Combine(fixture.Home, "tokens", "reviewer");
        var aside = token + ".aside";

        var (before, beforeBody) = await HealthAsync(anonymous);
        File.Move(token, aside);
        JsonElement removedBody;
        HttpStatusCode removed;
        try
        {
            (removed, removedBody) = await HealthAsync(anonymous);
        }
        finally
        {
            File.Move(aside, token);
        }

        var (back, backBody) = await HealthAsync(anonymous);

        Assert.True(before == HttpStatusCode.OK, $"healthy before: {beforeBody}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, removed);
        Assert.False(removedBody.GetProperty("ok").GetBoolean());
        var reviewer = removedBody.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "reviewer");
        Assert.False(reviewer.GetProperty("canRun").GetBoolean());
        var blocker = Assert.Single(reviewer.GetProperty("blockers").EnumerateArray());
        Assert.Equal($"forge token {token}: not found", blocker.GetProperty("reason").GetString());
        Assert.Equal($"write the reviewer agent's forge token (user it-reviewer) there and run 'chmod 600 {token}'", blocker.GetProperty("fix").GetString());
        Assert.Contains(removedBody.GetProperty("problems").EnumerateArray(), p => p.GetString()!.StartsWith($"agent reviewer cannot run: forge token {token}: not found; write", StringComparison.Ordinal));
        Assert.All(removedBody.GetProperty("agents").EnumerateArray().Where(a => a.GetProperty("name").GetString() != "reviewer"), a => Assert.True(a.GetProperty("canRun").GetBoolean()));
        Assert.True(back == HttpStatusCode.OK, $"healthy again: {backBody}");
        Assert.Equal(Path.GetFullPath(fixture.ConfigFile), backBody.GetProperty("configFile").GetString());
        Assert.True(backBody.GetProperty("database").GetProperty("sizeBytes").GetInt64() > 0);
        Assert.True(backBody.GetProperty("disk").GetProperty("freeBytes").GetInt64() > 0);
    }

    [SkippableFact]
    public async Task Health_ClaudeLoginExpired_NamesTheAgentAndHowToRefreshIt_AndOkOnceRefreshed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        _service = await ServiceProcess.StartAsync(fixture.ConfigFile, fixture.Home, _data, ServiceProcess.FreePort());
        using var anonymous = new HttpClient { BaseAddress = _service.BaseUrl };
        var login = Path.Combine(fixture.CredentialsDirectory, ".credentials.json");
        var expiredAt = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
        var refreshedAt = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();

        // Written in place, so the file keeps the owner and mode the fixture gave it.
        await File.WriteAllTextAsync(login, $$$"""{"claudeAiOauth":{"accessToken":"stand-in-2","refreshToken":"r","expiresAt":{{{expiredAt}}}}}""");
        JsonElement expired, refreshed;
        try
        {
            (_, expired) = await HealthAsync(anonymous);
            await File.WriteAllTextAsync(login, $$$"""{"claudeAiOauth":{"accessToken":"stand-in-3","refreshToken":"r","expiresAt":{{{refreshedAt}}}}}""");
            (_, refreshed) = await HealthAsync(anonymous);
        }
        finally
        {
            await File.WriteAllTextAsync(login, DockerFixture.StandInCredentials);
        }

        Assert.True(refreshed.GetProperty("ok").GetBoolean(), $"healthy once refreshed: {refreshed}");
        Assert.False(expired.GetProperty("ok").GetBoolean());
        var boss = expired.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("name").GetString() == "boss");
        Assert.False(boss.GetProperty("canRun").GetBoolean());
        var blocker = Assert.Single(boss.GetProperty("blockers").EnumerateArray());
        Assert.StartsWith($"model credential (credentials_host_dir) {login}: the OAuth access token expired at ", blocker.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("run 'claude' on the host as the user that owns it to refresh the login", blocker.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Ready_DataDirectoryFilledBelowMinFreeDisk_FailsAndPostTaskAnswers503_StoringNothing_ThenReadyAgain()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Skip.If(Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "mounting a tmpfs needs root");
        var data = Path.Combine(_data, "tmpfs");
        Directory.CreateDirectory(data);
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", data));
        _mount = data;
        _service = await ServiceProcess.StartAsync(ConfigWith(("min_free_disk", "32m")), fixture.Home, data, ServiceProcess.FreePort());
        using var anonymous = new HttpClient { BaseAddress = _service.BaseUrl };
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", "health-" + Guid.NewGuid().ToString("N")[..8], new Dictionary<string, string> { ["README.md"] = "# health\n" });

        using var readyBefore = await anonymous.GetAsync("api/health/ready");
        var filler = Path.Combine(data, "filler");
        await File.WriteAllBytesAsync(filler, new byte[40 << 20]);
        using var live = await anonymous.GetAsync("api/health/live");
        using var ready = await anonymous.GetAsync("api/health/ready");
        var readyBody = await ready.Content.ReadFromJsonAsync<JsonElement>();
        using var submit = await _service.Client.PostAsJsonAsync("task", new { agent = "dev", repo, prompt = "never stored" });
        var problem = await submit.Content.ReadFromJsonAsync<JsonElement>();
        var (_, health) = await HealthAsync(anonymous);
        var tasks = await _service.Client.GetFromJsonAsync<JsonElement>("tasks?limit=10");
        File.Delete(filler);
        using var readyAfter = await anonymous.GetAsync("api/health/ready");

        Assert.True(readyBefore.StatusCode == HttpStatusCode.OK, await readyBefore.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("unhealthy", readyBody.GetProperty("status").GetString());
        var disk = readyBody.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "disk");
        Assert.Equal("unhealthy", disk.GetProperty("status").GetString());
        Assert.Contains($"the data directory {data} has", disk.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("below service.min_free_disk (32 MiB)", disk.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.All(readyBody.GetProperty("checks").EnumerateArray().Where(c => c.GetProperty("name").GetString() != "disk"), c => Assert.Equal("healthy", c.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, submit.StatusCode);
        Assert.Equal("application/problem+json", submit.Content.Headers.ContentType?.MediaType);
        Assert.Contains("lower service.min_free_disk", problem.GetProperty("errors").GetProperty("disk")[0].GetString(), StringComparison.Ordinal);
        Assert.False(health.GetProperty("ok").GetBoolean());
        Assert.False(health.GetProperty("disk").GetProperty("ok").GetBoolean());
        Assert.Equal(0, tasks.GetProperty("tasks").GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, readyAfter.StatusCode);
    }

    [SkippableFact]
    public async Task Doctor_Json_AgainstTheRunningService_Parses_AndWarnsWhenItChecksAnotherConfig()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        _service = await ServiceProcess.StartAsync(fixture.ConfigFile, fixture.Home, _data, ServiceProcess.FreePort());
        var other = ConfigWith(("max_attempts", 2));

        var (otherCode, otherJson) = await DoctorAsync(other);
        var (sameCode, sameJson) = await DoctorAsync(fixture.ConfigFile);

        var loaded = Path.GetFullPath(fixture.ConfigFile);
        Assert.True(otherCode == 0, otherJson.ToString());
        Assert.True(otherJson.GetProperty("ok").GetBoolean());
        Assert.Equal(other, otherJson.GetProperty("configFile").GetString());
        Assert.Equal(loaded, otherJson.GetProperty("facts").GetProperty("service").GetProperty("configFile").GetString());
        var warning = Assert.Single(otherJson.GetProperty("checks").EnumerateArray(), c => c.GetProperty("status").GetString() == "warn");
        Assert.Equal($"service at {_service.BaseUrl.ToString().TrimEnd('/')}: runs with config {loaded}, but this doctor checked {other}", warning.GetProperty("what").GetString());
        Assert.StartsWith($"run 'claude-hooks doctor --config {loaded}'", warning.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, sameCode);
        Assert.DoesNotContain(sameJson.GetProperty("checks").EnumerateArray(), c => c.GetProperty("status").GetString() == "warn");
        Assert.Contains(sameJson.GetProperty("checks").EnumerateArray(), c => c.GetProperty("what").GetString() == $"service at {_service.BaseUrl.ToString().TrimEnd('/')}: healthy");
        Assert.Contains(sameJson.GetProperty("checks").EnumerateArray(), c => c.GetProperty("status").GetString() == "ok" && c.GetProperty("what").GetString()!.StartsWith("images (", StringComparison.Ordinal));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("api/health");
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    /// <summary>The fixture's config with <paramref name="service"/> keys added, beside it (its relative paths stay the same).</summary>
    private string ConfigWith(params (string Key, JsonNode Value)[] service)
    {
        var json = JsonNode.Parse(File.ReadAllText(fixture.ConfigFile))!.AsObject();
        var section = json["service"]?.AsObject() ?? [];
        json["service"] = section;
        foreach (var (key, value) in service)
        {
            section[key] = value;
        }

        var path = Path.Combine(fixture.Home, $"agents-{Guid.NewGuid().ToString("N")[..8]}.json");
        File.WriteAllText(path, json.ToJsonString());
        _files.Add(path);
        return path;
    }

    private async Task<(int Code, JsonElement Json)> DoctorAsync(string config)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll"), "doctor", "--json", "--config", config, "--data-dir", _data, "--url", _service!.BaseUrl.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLAUDE_HOOKS_HOME"] = fixture.Home;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        Assert.True(text.TrimStart().StartsWith('{'), $"doctor printed: {text}\n{await error}");
        return (process.ExitCode, JsonSerializer.Deserialize<JsonElement>(text));
    }

    private static async Task<int> RunAsync(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
