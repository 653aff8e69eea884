using System.Net;
using System.Net.Sockets;
using ClaudeHooks.Cli;
using ClaudeHooks.Tests.Config;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.Tests.Cli;

/// <summary>The real executable's errors: one line naming the value and the fix, its own exit code, never a stack trace.</summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Theory]
    [InlineData("Unrecognized command or argument 'tsk'", "tsk")]
    [InlineData("Unrecognized command or argument '--bogus'", "task", "list", "--bogus")]
    [InlineData("Required argument missing for command: 'show'", "task", "show")]
    [InlineData("Argument 'x' not recognized", "completion", "x")]
    [InlineData("Cannot parse argument 'many'", "task", "list", "--limit", "many")]
    public async Task Parse_BadCommandLine_ExitsUsageNamingIt(string expected, params string[] args)
    {
        var (code, _, error) = await RunAsync(args);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("--help'", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Theory]
    [InlineData("ht tp://x")]
    [InlineData("ftp://127.0.0.1:8080")]
    [InlineData("127.0.0.1:8080")]
    public async Task Task_MalformedUrl_ExitsUsageNamingTheUrl(string url)
    {
        WriteToken();

        var (code, _, error) = await RunAsync("task", "list", "--url", url);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"error: --url \"{url}\" is not the service's http(s) address; pass one such as http://127.0.0.1:8080", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Fact]
    public async Task Task_NothingListening_ExitsServiceUnreachable()
    {
        WriteToken();
        var url = $"http://127.0.0.1:{FreePort()}";

        var (code, _, error) = await RunAsync("task", "show", "t1", "--url", url);

        Assert.Equal(ExitCodes.ServiceUnreachable, code);
        Assert.Contains($"cannot reach claude-hooks at {url}", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Fact]
    public async Task Task_NoApiToken_ExitsCredentialProblemNamingTheFile()
    {
        var (code, _, error) = await RunAsync("task", "list", "--url", $"http://127.0.0.1:{FreePort()}");

        Assert.Equal(ExitCodes.CredentialProblem, code);
        Assert.Contains($"{_home.Path}/api-token: not found", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Theory]
    [InlineData("ssh://user@engine")]
    [InlineData("not a uri")]
    [InlineData("tcp://engine")]
    public async Task Containers_MalformedDockerHost_ExitsEngineUnavailableNamingIt(string host)
    {
        var (code, _, error) = await RunAsync(new Dictionary<string, string?> { ["DOCKER_HOST"] = host }, "containers", "status", "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"));

        Assert.Equal(ExitCodes.EngineUnavailable, code);
        Assert.Contains($"DOCKER_HOST \"{host}\" is not an engine address claude-hooks can use; set it to unix:///path/to/docker.sock or tcp://HOST:PORT", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("http://127.0.0.1:notaport")]
    [InlineData("ftp://127.0.0.1:8080")]
    public async Task Serve_MalformedUrls_ExitsUsageNamingIt(string urls)
    {
        var (code, _, error) = await RunAsync("serve", "--urls", urls, "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"));

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"error: --urls \"{urls}\" is not an address to listen on", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Fact]
    public async Task Serve_PortInUse_ExitsCannotListenNamingTheAddress()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}";

        var (code, _, error) = await RunAsync("serve", "--urls", url, "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"), "--data-dir", Path.Combine(_home.Path, "data"));

        Assert.Equal(ExitCodes.CannotListen, code);
        Assert.Contains($"error: cannot listen on --urls {url}: Address already in use", error, StringComparison.Ordinal);
        Assert.Contains("pass --urls with a free port", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Fact]
    public async Task Config_Unreadable_ExitsInvalidConfigNamingTheFile()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_home.Path, "agents.json")).FullName;

        var (code, _, error) = await RunAsync("containers", "up", "--config", folder);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"config error: {folder}", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Fact]
    public async Task Task_ServiceUnavailable_ExitsServiceUnavailableWithItsDetail()
    {
        WriteToken();
        await using var server = await StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return context.Response.WriteAsJsonAsync(new { detail = "draining: the service is stopping" });
        });

        var (code, _, error) = await RunAsync("task", "list", "--url", server.Url);

        Assert.Equal(ExitCodes.ServiceUnavailable, code);
        Assert.Contains("503 Service Unavailable: draining: the service is stopping", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Task_AnswerNotTheApis_ExitsUnexpectedInOneLine_TheTraceOnlyWithTheDebugVariable()
    {
        WriteToken();
        await using var server = await StartAsync(context => context.Response.WriteAsJsonAsync(new { unexpected = true }));

        var (code, _, error) = await RunAsync("task", "list", "--url", server.Url);
        var (debugCode, _, debugError) = await RunAsync(new Dictionary<string, string?> { [CliApp.DebugVariable] = "1" }, "task", "list", "--url", server.Url);

        Assert.Equal(ExitCodes.Unexpected, code);
        Assert.StartsWith("error: unexpected KeyNotFoundException: ", error, StringComparison.Ordinal);
        Assert.Contains($"please report it with the output of the same command run with {CliApp.DebugVariable}=1", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
        Assert.Equal(ExitCodes.Unexpected, debugCode);
        Assert.True(CliProcess.HasStackTrace(debugError), debugError);
    }

    private void WriteToken() => _home.Write("api-token", "test-token\n");

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string?>(), args);

    private Task<(int Code, string Output, string Error)> RunAsync(Dictionary<string, string?> environment, params string[] args)
    {
        environment["CLAUDE_HOOKS_HOME"] = _home.Path;
        environment.TryAdd("DOCKER_HOST", $"unix://{_home.Path}/no-engine.sock");
        return CliProcess.RunAsync(environment, args);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<FakeService> StartAsync(RequestDelegate answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(answer);
        await app.StartAsync();
        return new FakeService(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private sealed class FakeService(WebApplication app, string url) : IAsyncDisposable
    {
        public string Url { get; } = url;

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
