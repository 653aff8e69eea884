using ClaudeHooks.Cli;
using ClaudeHooks.Tests.Config;

namespace ClaudeHooks.Tests.Cli;

/// <summary>The executable's verbs, run in-process: exit codes and the one-line messages operators see.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class CliTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");
    private readonly string? _previousDockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");

    public CliTests()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _home.Path);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _previousHome);
        Environment.SetEnvironmentVariable("DOCKER_HOST", _previousDockerHost);
        _home.Dispose();
    }

    [Fact]
    public async Task ContainersUp_InvalidConfig_ExitsTwoNamingTheKey()
    {
        var config = _home.Write("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "pids": "many" } } } }""");

        var (code, _, error) = await RunAsync("containers", "up", "--config", config);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"config error: {config}: agents.dev.container.pids: must be a whole number", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContainersUp_EngineUnreachable_ExitsThreeWithTheFix()
    {
        Environment.SetEnvironmentVariable("DOCKER_HOST", $"unix://{_home.Path}/no-engine.sock");

        var (code, _, error) = await RunAsync("containers", "up", "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"));

        Assert.Equal(ExitCodes.EngineUnavailable, code);
        Assert.Contains("cannot reach the Docker engine at unix://", error, StringComparison.Ordinal);
        Assert.Contains("DOCKER_HOST", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_MissingCredentials_ListsEachFixAndFails()
    {
        Environment.SetEnvironmentVariable("DOCKER_HOST", $"unix://{_home.Path}/no-engine.sock");

        var (code, output, _) = await RunAsync("doctor", "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"));

        Assert.Equal(ExitCodes.CheckFailed, code);
        Assert.Contains("ok    config", output, StringComparison.Ordinal);
        Assert.Contains($"FAIL  agent dev: forge token {_home.Path}/tokens/dev", output, StringComparison.Ordinal);
        Assert.Contains("fix: ", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  docker engine", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownAgent_ExitsTwo()
    {
        var (code, _, error) = await RunAsync("containers", "up", "qa", "--config", ConfigLoaderTests.RepositoryFile("config/agents.json"));

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains("no agent named \"qa\"", error, StringComparison.Ordinal);
    }

    internal static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await CliApp.Parse(args).InvokeAsync();
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }
}

[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;
