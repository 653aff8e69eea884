using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;

namespace ClaudeHooks.Cli;

/// <summary>Talks to a running <c>claude-hooks serve</c> with the token from the claude-hooks home.</summary>
internal sealed class ApiClient : IDisposable
{
    /// <summary>Runs a verb against the service named by <paramref name="url"/>; a refused call is one clear message and an exit code.</summary>
    public static Task<int> RunAsync(System.CommandLine.ParseResult parse, System.CommandLine.Option<string> url, Func<ApiClient, Task<int>> action) =>
        CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var baseUrl = parse.GetValue(url)!;
            if (UrlProblem(baseUrl) is { } problem)
            {
                await Console.Error.WriteLineAsync($"error: {problem}");
                return ExitCodes.Usage;
            }

            try
            {
                using var api = new ApiClient(baseUrl, context.Paths);
                return await action(api);
            }
            catch (ApiException e)
            {
                await Console.Error.WriteLineAsync($"error: {Security.TerminalText.Neutralize(e.Message)}");
                if (e.Status is HttpStatusCode.Unauthorized)
                {
                    await Console.Error.WriteLineAsync($"hint: the token in {ApiToken.FilePath(context.Paths)} is not the one of the service at {baseUrl}; run the verb as the service's user, or set CLAUDE_HOOKS_HOME to its home");
                }

                return e.ExitCode;
            }
        });

    private readonly HttpClient _http;

    public ApiClient(string baseUrl, ClaudeHooksPaths paths)
    {
        BaseUrl = baseUrl.TrimEnd('/');
        // A redirect could only take the request, and with it the token, somewhere the URL did not name.
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(BaseUrl + "/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken.Read(paths));
    }

    public string BaseUrl { get; }

    /// <summary>What is wrong with a service URL given by <c>--url</c> or <c>CLAUDE_HOOKS_URL</c>, or null.</summary>
    internal static string? UrlProblem(string url)
    {
        if (!(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0))
        {
            return $"--url \"{Security.TerminalText.Neutralize(url)}\" is not the service's http(s) address; pass one such as http://127.0.0.1:8080 (or set CLAUDE_HOOKS_URL)";
        }

        // Every request carries the API token, which plain http would show to anyone on the way to another machine.
        return uri.Scheme == Uri.UriSchemeHttp && !uri.IsLoopback
            ? $"--url \"{Security.TerminalText.Neutralize(url)}\" would send the API token in the clear to another machine; reach the service over https (a TLS proxy in front of it) or through an SSH tunnel to its loopback address (ssh -L 8080:127.0.0.1:8080 HOST, then --url http://127.0.0.1:8080)"
            : null;
    }

    public static string DefaultUrl => Environment.GetEnvironmentVariable("CLAUDE_HOOKS_URL") is { Length: > 0 } url ? url : "http://127.0.0.1:8080";

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement json;
        try
        {
            json = text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text);
        }
        catch (JsonException)
        {
            // Something else answers at that address (a proxy's error page, another program).
            throw new ApiException($"{(int)response.StatusCode} {response.ReasonPhrase}: {BaseUrl} answered with something that is not the claude-hooks API; check --url", response.IsSuccessStatusCode ? HttpStatusCode.BadGateway : response.StatusCode);
        }

        if (!response.IsSuccessStatusCode)
        {
            var detail = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("detail", out var d) ? d.GetString() : text;
            throw new ApiException($"{(int)response.StatusCode} {response.ReasonPhrase}: {detail}", response.StatusCode);
        }

        return json;
    }

    public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ApiException($"cannot reach claude-hooks at {BaseUrl} ({e.Message}); is 'claude-hooks serve' running? ('scripts/start' starts it; --url or CLAUDE_HOOKS_URL point elsewhere)");
        }
    }

    public void Dispose() => _http.Dispose();
}
