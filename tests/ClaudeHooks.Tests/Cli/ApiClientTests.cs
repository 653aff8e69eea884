using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary>Which service addresses the CLI sends its API token to (decided before any request is made).</summary>
public sealed class ApiClientTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://localhost:8080/")]
    [InlineData("http://[::1]:8080")]
    [InlineData("https://claude-hooks.example:8443")]
    public void UrlProblem_LoopbackOrHttps_IsNone(string url) => Assert.Null(ApiClient.UrlProblem(url));

    [Theory]
    [InlineData("http://claude-hooks.example:8080")]
    [InlineData("http://192.0.2.10:8080")]
    public void UrlProblem_PlainHttpToAnotherMachine_RefusesNamingHttpsAndATunnel(string url)
    {
        var problem = ApiClient.UrlProblem(url);

        Assert.NotNull(problem);
        Assert.Contains("in the clear", problem, StringComparison.Ordinal);
        Assert.Contains("ssh -L", problem, StringComparison.Ordinal);
    }
}
