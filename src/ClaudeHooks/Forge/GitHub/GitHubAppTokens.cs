using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Forge.GitHub;

/// <summary>
/// Mints GitHub App installation tokens: a JWT signed RS256 with the App's private key (issued a minute back for
/// clock drift, valid 9 minutes, under GitHub's 10), the repository's installation (asked once per App and
/// repository), and a token scoped to that one repository, which GitHub ends after an hour.
/// </summary>
internal sealed class GitHubAppTokens(HttpClient http, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly ConcurrentDictionary<(long App, string Repo), long> _installations = new();

    /// <summary>How many tokens this service has minted (each task's git gets its own).</summary>
    public int Minted => _minted;

    private int _minted;

    public async Task<ForgeCredential> MintAsync(AgentConfig agent, GitHubAppSettings app, ForgeRepository repository, CancellationToken cancellationToken)
    {
        var jwt = Jwt(app, agent.Name);
        var key = (app.AppId, repository.FullName.ToLowerInvariant());
        if (!_installations.TryGetValue(key, out var installation))
        {
            using var found = await SendAsync(HttpMethod.Get, repository, $"repos/{repository.FullName}/installation", jwt, null, cancellationToken);
            if (found.StatusCode == HttpStatusCode.NotFound)
            {
                throw new CredentialException($"GitHub App {app.AppId} (agent {agent.Name}) is not installed on {repository.FullName}; install it on that repository (the App's settings, \"Install App\")");
            }

            await EnsureAsync(found, $"finding GitHub App {app.AppId}'s installation on {repository.FullName}", cancellationToken);
            installation = (await ReadAsync<Installation>(found, "GitHub's installation", cancellationToken)).Id;
            _installations[key] = installation;
        }

        var name = repository.FullName.Split('/')[1];
        using var response = await SendAsync(HttpMethod.Post, repository, string.Create(CultureInfo.InvariantCulture, $"app/installations/{installation}/access_tokens"), jwt, new { repositories = new[] { name } }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            _installations.TryRemove(key, out _);
        }

        await EnsureAsync(response, $"minting a token of GitHub App {app.AppId} for {repository.FullName}", cancellationToken);
        var token = await ReadAsync<AccessToken>(response, "GitHub's installation token", cancellationToken);
        if (string.IsNullOrEmpty(token.Token))
        {
            throw new ForgeApiException($"minting a token of GitHub App {app.AppId} for {repository.FullName}: GitHub's answer has no token");
        }

        Interlocked.Increment(ref _minted);
        return new ForgeCredential(token.Token, "x-access-token", token.ExpiresAt);
    }

    /// <summary>The App's own identity (<c>GET /app</c> with its JWT): its slug, whose account is <c>&lt;slug&gt;[bot]</c>.</summary>
    public async Task<string> SlugAsync(AgentConfig agent, GitHubAppSettings app, ForgeRepository repository, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, repository, "app", Jwt(app, agent.Name), null, cancellationToken);
        await EnsureAsync(response, $"reading GitHub App {app.AppId}", cancellationToken);
        return (await ReadAsync<AppInfo>(response, "GitHub's answer about the App", cancellationToken)).Slug;
    }

    /// <summary>The three base64url parts of an RS256 JWT whose issuer is the App.</summary>
    internal string Jwt(GitHubAppSettings app, string agent)
    {
        var pem = AgentCredentials.ReadSecretFile(app.PrivateKeyFile, $"the {agent} agent's GitHub App private key", singleLine: false);
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException)
        {
            throw new CredentialException($"{app.PrivateKeyFile} is not a PEM private key; download one from the GitHub App's settings (\"Generate a private key\") and write it there");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var header = Base64Url("""{"alg":"RS256","typ":"JWT"}"""u8);
        var claims = Base64Url(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"iat":{{now - 60}},"exp":{{now + 540}},"iss":"{{app.AppId}}"}""")));
        var signature = Base64Url(rsa.SignData(Encoding.ASCII.GetBytes($"{header}.{claims}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        return $"{header}.{claims}.{signature}";
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, ForgeRepository repository, string path, string jwt, object? body, CancellationToken cancellationToken)
    {
        var url = new Uri(repository.ApiUrl, path);
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        request.Headers.UserAgent.ParseAdd("claude-hooks");
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ForgeApiException($"{method} {url.AbsolutePath}: cannot reach GitHub at {repository.ApiUrl} ({e.Message})", inner: e);
        }
    }

    /// <summary>A success's body, or a <see cref="ForgeApiException"/> naming what was expected when it is not that.</summary>
    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken) ?? throw new JsonException("null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new ForgeApiException($"{what} could not be read ({e.Message.Split('.')[0]})", inner: e);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var fix = response.StatusCode == HttpStatusCode.Unauthorized
            ? "; check github_app.app_id and that the private key is the App's current one (and the host's clock)"
            : "";
        throw new ForgeApiException($"{what}: GitHub answered {(int)response.StatusCode}: {(text.Length > 300 ? text[..300] : text)}{fix}", response.StatusCode);
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record Installation(long Id);

    private sealed record AccessToken(string Token, DateTimeOffset ExpiresAt);

    private sealed record AppInfo(string Slug);
}
