using System.Net;
using System.Net.Sockets;
using System.Text;
using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary>Where <c>doctor</c> sends the API token when it asks a service for its health.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class DoctorCommandTests : IDisposable
{
    private const string Token = "the-api-token-of-this-home";
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");
    private readonly string? _previousDockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");

    public DoctorCommandTests()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _home.Path);
        Environment.SetEnvironmentVariable("DOCKER_HOST", $"unix://{_home.Path}/no-engine.sock");
        _home.Write("api-token", Token + "\n");
        _home.Write("claude-auth/dev", "sk-ant-oat01-stand-in");
        _home.Write("tokens/dev", "forge-token");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _previousHome);
        Environment.SetEnvironmentVariable("DOCKER_HOST", _previousDockerHost);
        _home.Dispose();
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/", true)]
    [InlineData("http://127.8.9.10:8080/", true)]
    [InlineData("http://localhost:8080/", true)]
    [InlineData("http://[::1]:8080/", true)]
    [InlineData("https://claude-hooks.example/", true)]
    [InlineData("https://10.0.0.5:8443/", true)]
    [InlineData("http://claude-hooks.example:8080/", false)]
    [InlineData("http://10.0.0.5:8080/", false)]
    [InlineData("http://[fe80::1]:8080/", false)]
    [InlineData("http://127.0.0.1.evil.example/", false)]
    public void MaySendToken_Service_OnlyLoopbackOrHttps(string url, bool expected)
    {
        Assert.Equal(expected, DoctorCommand.MaySendToken(new Uri(url)));
    }

    [Fact]
    public async Task Doctor_ServiceOnLoopback_AsksItsHealthWithTheToken()
    {
        var config = _home.Write("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" }, "runner": { "local_cli": "/bin/true" } } } }""");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var request = AnswerOneHealthRequestAsync(listener, config);

        var (_, output, _) = await CliTests.RunAsync("doctor", "--config", config, "--data-dir", Path.Combine(_home.Path, "data"), "--url", $"http://127.0.0.1:{port}");

        var headers = await request.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("GET /api/health ", headers[0], StringComparison.Ordinal);
        Assert.Contains($"Authorization: Bearer {Token}", headers);
        Assert.Contains($"service at http://127.0.0.1:{port}: healthy", output, StringComparison.Ordinal);
    }

    /// <summary>Answers one request as a healthy service would and returns its request line and headers.</summary>
    private static async Task<List<string>> AnswerOneHealthRequestAsync(TcpListener listener, string configFile)
    {
        using var client = await listener.AcceptTcpClientAsync();
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { Length: > 0 } line)
        {
            lines.Add(line);
        }

        var body = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { ok = true, configFile, problems = Array.Empty<string>() }));
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(head);
        await stream.WriteAsync(body);
        return lines;
    }
}
