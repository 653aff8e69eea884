using System.Text.Json;
using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary><c>doctor --json</c>, run in-process with no engine and no service.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class DoctorJsonTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");
    private readonly string? _previousDockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");

    public DoctorJsonTests()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _home.Path);
        Environment.SetEnvironmentVariable("DOCKER_HOST", $"unix://{_home.Path}/no-engine.sock");
        _home.Write("claude-auth/dev", "sk-ant-oat01-stand-in");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _previousHome);
        Environment.SetEnvironmentVariable("DOCKER_HOST", _previousDockerHost);
        _home.Dispose();
    }

    [Fact]
    public async Task Doctor_Json_ParsesAndCarriesEveryCheck_TheFixOfAFailure_TheStorage_AndTheServiceNote()
    {
        var config = _home.Write("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" }, "runner": { "local_cli": "/bin/true" } } } }""");
        var url = $"http://127.0.0.1:{TestServers.ServiceProcess.FreePort()}";

        var (code, output, _) = await CliTests.RunAsync("doctor", "--json", "--config", config, "--data-dir", Path.Combine(_home.Path, "data"), "--url", url);

        Assert.Equal(ExitCodes.CheckFailed, code);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.False(root.GetProperty("ok").GetBoolean());
        Assert.Equal(1, root.GetProperty("problems").GetInt32());
        Assert.Equal(config, root.GetProperty("configFile").GetString());
        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        var forge = Assert.Single(checks, c => c.GetProperty("status").GetString() == "fail");
        Assert.StartsWith($"agent dev: forge token {_home.Path}/tokens/dev", forge.GetProperty("what").GetString(), StringComparison.Ordinal);
        Assert.Contains("chmod 600", forge.GetProperty("fix").GetString(), StringComparison.Ordinal);
        var local = Assert.Single(checks, c => c.GetProperty("status").GetString() == "warn");
        Assert.Contains(local.GetProperty("details").EnumerateArray(), d => d.GetString()!.StartsWith("the host's network is reachable directly", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.GetProperty("status").GetString() == "ok" && c.GetProperty("what").GetString()!.StartsWith("disk: ", StringComparison.Ordinal));
        Assert.Contains(checks, c => c.GetProperty("status").GetString() == "note" && c.GetProperty("what").GetString()!.StartsWith($"service at {url}: not answering", StringComparison.Ordinal));
        Assert.Equal(1L << 30, root.GetProperty("facts").GetProperty("storage").GetProperty("minFreeBytes").GetInt64());
    }

    [Fact]
    public async Task Doctor_DiskBelowMinFreeDisk_FailsWithTheFix()
    {
        _home.Write("tokens/dev", "forge-token");
        var config = _home.Write("agents.json", """{ "service": { "min_free_disk": "1000t" }, "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local", "user": "nobody" }, "runner": { "local_cli": "/bin/true" } } } }""");

        var (code, output, _) = await CliTests.RunAsync("doctor", "--config", config, "--data-dir", Path.Combine(_home.Path, "data"), "--url", $"http://127.0.0.1:{TestServers.ServiceProcess.FreePort()}");

        Assert.Equal(ExitCodes.CheckFailed, code);
        Assert.Contains("FAIL  disk: ", output, StringComparison.Ordinal);
        Assert.Contains("fix: the data directory", output, StringComparison.Ordinal);
        Assert.Contains("below service.min_free_disk (1000 TiB)", output, StringComparison.Ordinal);
        Assert.Contains("doctor: 1 problem(s)", output, StringComparison.Ordinal);
    }
}
