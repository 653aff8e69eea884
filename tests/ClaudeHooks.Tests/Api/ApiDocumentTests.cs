using System.Net;
using System.Text.Json;
using ClaudeHooks.Api;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Api;

/// <summary><c>GET /openapi/v1.json</c> from the service's own composition: what a client generator would read.</summary>
public sealed class ApiDocumentTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private JsonDocument _document = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        using var response = await _host.Anonymous.GetAsync(ApiDocument.Path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        _document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        _document.Dispose();
        await _host.DisposeAsync();
    }

    private JsonElement Paths => _document.RootElement.GetProperty("paths");

    [Fact]
    public void SubmitTask_Document_Answers202WithTheAcceptedSchema()
    {
        var responses = Paths.GetProperty("/task").GetProperty("post").GetProperty("responses");

        Assert.False(responses.TryGetProperty("200", out _));
        var schema = Resolve(responses.GetProperty("202").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["events_url", "state", "status_url", "task_id"], Names(schema.GetProperty("properties")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SubmitTask_Document_BodySchemaNamesItsRequiredFieldsInSnakeCase()
    {
        var body = Paths.GetProperty("/task").GetProperty("post").GetProperty("requestBody");

        var schema = Resolve(body.GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["agent", "prompt", "repo"], schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal(["agent", "base_ref", "image", "prompt", "repo", "thread", "timeout"], Names(schema.GetProperty("properties")).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/task", "post", "400 401 403 409 413 422")]
    [InlineData("/task/{id}", "get", "401 403 404")]
    [InlineData("/tasks", "get", "400 401 403")]
    [InlineData("/task/{id}/cancel", "post", "401 403 404 409")]
    [InlineData("/task/{id}/link", "post", "400 401 403 404 413")]
    [InlineData("/task/{id}/events", "get", "400 401 403 404")]
    [InlineData("/egress", "get", "400 401 403")]
    [InlineData("/webhook/forgejo", "post", "400 401 403 413")]
    [InlineData("/webhook/github", "post", "400 401 403 413")]
    public void Operation_Document_ListsEachProblemItCanAnswer(string path, string method, string statuses)
    {
        var responses = Paths.GetProperty(path).GetProperty(method).GetProperty("responses");

        foreach (var status in statuses.Split(' '))
        {
            Assert.True(responses.TryGetProperty(status, out var response), $"{method} {path} has no {status}");
            Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{method} {path} {status} is not a problem");
        }
    }

    [Fact]
    public void SecuritySchemes_Document_BearerOnEveryOperationButHealthAndWebhooks()
    {
        var bearer = _document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());

        var operations = Operations().ToList();
        Assert.NotEmpty(operations);
        foreach (var (path, method, operation) in operations)
        {
            var schemes = operation.GetProperty("security").EnumerateArray().Select(r => string.Join(",", Names(r))).ToList();
            var expected = path switch
            {
                "/api/health" => new[] { "", "bearer" },
                "/webhook/forgejo" or "/webhook/github" => ["webhook_signature"],
                _ => ["bearer"],
            };
            Assert.True(expected.SequenceEqual(schemes), $"{method} {path}: [{string.Join("; ", schemes)}]");
        }
    }

    [Fact]
    public void Paths_Document_EveryMappedApiEndpointAndNoDashboardRoute()
    {
        var mapped = _host.App.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m.ToLowerInvariant()} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .ToHashSet(StringComparer.Ordinal);
        var described = Operations().Select(o => $"{o.Method} {o.Path}").ToHashSet(StringComparer.Ordinal);

        Assert.Contains("post /task", mapped);
        Assert.Contains("get /api/health", mapped);
        Assert.Contains("post /webhook/forgejo", mapped);
        Assert.Contains("post /webhook/github", mapped);
        Assert.Contains("get /egress", mapped);
        Assert.Empty(mapped.Except(described));
        Assert.DoesNotContain(described, d => d.Split(' ')[1] == "/" || d.Split(' ')[1].StartsWith("/ui", StringComparison.Ordinal));
    }

    [Fact]
    public void Health_Document_SchemaInTheCamelCaseItIsWrittenIn()
    {
        var response = Paths.GetProperty("/api/health").GetProperty("get").GetProperty("responses");

        var schema = Resolve(response.GetProperty("503").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Contains("localModeWarning", Names(schema.GetProperty("properties")));
        Assert.Contains("problems", Names(schema.GetProperty("properties")));
    }

    [Fact]
    public void ListTasks_Document_DescribesItsQueryParameters()
    {
        var parameters = Paths.GetProperty("/tasks").GetProperty("get").GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();

        Assert.Equal(["state", "agent", "repo", "limit", "cursor", "before"], parameters);
    }

    private IEnumerable<(string Path, string Method, JsonElement Operation)> Operations() =>
        Paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(o => (p.Name, o.Name, o.Value)));

    private JsonElement Resolve(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? _document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    private static IEnumerable<string> Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name);
}
