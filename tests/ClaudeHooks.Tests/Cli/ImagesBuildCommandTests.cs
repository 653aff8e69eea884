using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary><c>images build</c>'s flags: what it refuses before reaching the engine, and why.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class ImagesBuildCommandTests
{
    [Theory]
    [InlineData("no stack named \"ruby\"; the stacks are base, node, python, dotnet, browser", "--stack", "ruby")]
    [InlineData("no stack named \"ruby\"", "--stack", "node,ruby")]
    [InlineData("--all builds every stack; pass either --all or --stack", "--all", "--stack", "node")]
    [InlineData("--context and --tag build one image from a folder", "--stack", "node", "--tag", "me/node:1")]
    [InlineData("--context and --tag build one image from a folder", "--all", "--context", "docker/agent/base")]
    [InlineData("--dotnet-sdk is for the dotnet stack; add --stack dotnet (or --all)", "--stack", "node", "--dotnet-sdk", "/opt/dotnet")]
    [InlineData("--claude-code-version \"2.1\" is not an exact version; pass one such as 2.1.330", "--claude-code-version", "2.1")]
    [InlineData("--npm-registry \"ftp://mirror\" is not an http(s) URL", "--npm-registry", "ftp://mirror")]
    public async Task Build_FlagsThatDoNotGoTogether_ExitTwoSayingWhy(string expected, params string[] flags)
    {
        var (code, _, error) = await RunAsync(["images", "build", .. flags]);

        Assert.Equal(ExitCodes.InvalidConfig, code);
        Assert.Contains($"error: {expected}", error, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(string[] args) => CliTests.RunAsync(args);
}
