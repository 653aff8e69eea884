using System.Net;
using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Cli;
using ClaudeHooks.Config;
using ClaudeHooks.Gateway;
using ClaudeHooks.Persistence;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Cli;

/// <summary><c>claude-hooks egress log</c> against the egress API served in-process on loopback, with the service's auth.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class EgressLogCliTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");
    private WebApplication? _app;
    private EgressLog? _log;
    private string _url = "";

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _home.Path);
        var paths = new ClaudeHooksPaths(_home.Path);
        var config = ConfigLoader.Parse("/etc/claude-hooks/agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", paths);
        _log = new EgressLog(await Database.OpenAndMigrateAsync(Path.Combine(_home.Path, "data")), TimeProvider.System, new ListLogger<EgressLog>());
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(_log);
        builder.Services.AddSingleton(TimeProvider.System);
        _app = builder.Build();
        _app.UseApiSecurity(ApiToken.LoadOrCreate(paths, out _), config);
        _app.MapEgressApi();
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        await _app!.DisposeAsync();
        await _log!.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _previousHome);
        _home.Dispose();
    }

    [Fact]
    public async Task Log_Denied_PrintsATableWithControlCharactersNeutralised()
    {
        await RecordAsync(Request("t1", EgressRecord.Allowed, "api.anthropic.com", "/v1/messages"), Request("t2", EgressRecord.Denied, "evil\u001b]0;pwned\u0007.example:443", "/x\u001b[2J"));

        var (code, output, _) = await RunAsync(CancellationToken.None, "egress", "log", "--url", _url, "--denied");

        Assert.Equal(ExitCodes.Success, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("TIME", lines[0], StringComparison.Ordinal);
        Assert.Contains("evil?]0;pwned?.example:443", lines[1], StringComparison.Ordinal);
        Assert.Contains("/x?[2J", lines[1], StringComparison.Ordinal);
        Assert.Contains("denied", lines[1], StringComparison.Ordinal);
        Assert.Contains("512/4k", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
    }

    [Fact]
    public async Task Log_Json_PrintsOneObjectPerRecord_NewestLimitOldestFirst()
    {
        await RecordAsync(Request("t1", EgressRecord.Allowed, "a.example", "/"), Request("t2", EgressRecord.Allowed, "b.example", "/"), Request("t3", EgressRecord.Denied, "c.example", "/"));

        var (code, output, _) = await RunAsync(CancellationToken.None, "egress", "log", "--url", _url, "--json", "--limit", "2");

        Assert.Equal(ExitCodes.Success, code);
        var records = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<JsonElement>(l)).ToList();
        Assert.Equal(["t2", "t3"], records.Select(r => r.GetProperty("task").GetString()));
        Assert.Equal("c.example", records[1].GetProperty("host").GetString());
    }

    [Fact]
    public async Task Log_Follow_PrintsRecordsThatArriveLater_UntilCancelled()
    {
        await RecordAsync(Request("before", EgressRecord.Allowed, "a.example", "/"));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = new StringWriter();
        var sink = TextWriter.Synchronized(output);
        string Captured()
        {
            // The synchronized writer locks itself around every write.
            lock (sink)
            {
                return output.ToString();
            }
        }

        var following = RunAsync(stop.Token, sink, "egress", "log", "--url", _url, "--json", "-f", "--task", "later");

        await RecordAsync(Request("other", EgressRecord.Allowed, "b.example", "/"), Request("later", EgressRecord.Denied, "c.example", "/"));
        while (!Captured().Contains("c.example", StringComparison.Ordinal) && !stop.IsCancellationRequested)
        {
            await Task.Delay(100);
        }

        await stop.CancelAsync();
        var (code, _, _) = await following;

        var lines = Captured().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("later", JsonSerializer.Deserialize<JsonElement>(Assert.Single(lines)).GetProperty("task").GetString());
    }

    [Fact]
    public async Task Log_BadSince_ExitsInvalidInputWithTheApisFix()
    {
        var (code, _, error) = await RunAsync(CancellationToken.None, "egress", "log", "--url", _url, "--since", "yesterday");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("400", error, StringComparison.Ordinal);
        Assert.Contains("since: \"yesterday\" is neither a timestamp", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_WithoutToken_Is401()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_url) };

        using var response = await anonymous.GetAsync("egress");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task RecordAsync(params EgressRecord[] records)
    {
        foreach (var record in records)
        {
            _log!.Record(record);
        }

        await _log!.FlushAsync(CancellationToken.None);
    }

    private static EgressRecord Request(string task, string decision, string host, string path) =>
        new(0, Now, task, "dev", EgressRecord.ConnectRoute, host, "CONNECT", path, decision == EgressRecord.Denied ? 403 : 200, 4096, 512, 12, decision, "allowlist");

    private static Task<(int Code, string Output, string Error)> RunAsync(CancellationToken cancellationToken, params string[] args) =>
        RunAsync(cancellationToken, new StringWriter(), args);

    private static async Task<(int Code, string Output, string Error)> RunAsync(CancellationToken cancellationToken, TextWriter output, params string[] args)
    {
        var error = new StringWriter();
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await CliApp.Build().Parse(args).InvokeAsync(cancellationToken: cancellationToken);
            return (code, output.ToString() ?? "", error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }
}
