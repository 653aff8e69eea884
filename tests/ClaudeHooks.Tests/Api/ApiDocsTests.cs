using System.Net;
using System.Text.RegularExpressions;
using ClaudeHooks.Api;
using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Api;

/// <summary><c>GET /api/docs</c>: the document as a page that works offline under the dashboard's CSP.</summary>
public sealed partial class ApiDocsTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Docs_Get_EveryOperationUnderAStrictCspWithNothingFromElsewhere()
    {
        using var response = await _host.Anonymous.GetAsync(ApiDocs.Path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(DashboardSecurity.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("style=", html, StringComparison.OrdinalIgnoreCase);
        var links = Links().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.True(link.StartsWith('#') || (link.StartsWith('/') && !link.StartsWith("//", StringComparison.Ordinal)), link));
        foreach (var operation in new[] { "POST /task", "GET /task/{id}", "GET /tasks", "POST /task/{id}/cancel", "POST /task/{id}/link", "GET /task/{id}/events", "GET /egress", "GET /api/health", "POST /webhook/forgejo" })
        {
            Assert.Contains($"<code>{operation}</code>", WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        }

        Assert.Contains("id=\"schema-SubmitTaskRequest\"", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("(?:href|src|action)\\s*=\\s*\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex Links();
}
