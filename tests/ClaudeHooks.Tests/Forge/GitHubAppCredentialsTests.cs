using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge;
using ClaudeHooks.Forge.GitHub;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// A GitHub App's credentials against the fake GitHub: installation tokens minted from the App's key (an RS256 JWT),
/// scoped to the one repository, one per scope (the service's calls, each task), renewed before GitHub expires them,
/// and refused by GitHub once expired.
/// </summary>
public sealed class GitHubAppCredentialsTests : IAsyncLifetime
{
    private const long AppId = 4242;
    private readonly TempDirectory _home = new();
    private readonly ManualClock _clock = new(DateTimeOffset.UtcNow);
    private readonly HttpClient _http = new();
    private GitHttpServer? _git;
    private FakeGitHub? _hub;
    private AgentsConfig? _config;

    private FakeGitHub Hub => _hub!;

    private AgentConfig Lead => _config!.Find("boss")!;

    private ForgeRepository Repository => _config!.Forge!.Repositories[0];

    public async Task InitializeAsync()
    {
        _git = await GitHttpServer.StartAsync("127.0.0.1");
        await _git.CreateRepositoryAsync("it-owner", "repo", new Dictionary<string, string> { ["README.md"] = "# repo\n" });
        _hub = await FakeGitHub.StartAsync("127.0.0.1", _git, "repo");
        Hub.Clock = _clock.GetUtcNow;
        var app = Hub.RegisterApp(AppId, "claude-lead");
        _home.Write("github-app/lead.pem", app.PrivateKeyPem);
        _config = ConfigLoader.Parse("agents.json", $$"""
            {
              "agents": {
                "boss": { "role": "lead", "forge_user": "claude-lead[bot]", "github_app": { "app_id": {{AppId}}, "private_key_file": "github-app/lead.pem" } },
                "dev": { "role": "dev", "forge_user": "it-dev" },
                "reviewer": { "role": "reviewer", "forge_user": "it-reviewer" }
              },
              "forge": { "repositories": { "{{Hub.FullName}}": { "kind": "github", "url": "{{Hub.Url}}", "api_url": "{{Hub.ApiUrl}}", "webhook_secret_file": "webhooks/w" } } }
            }
            """, new ClaudeHooksPaths(_home.Path));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Hub.DisposeAsync();
        await _git!.DisposeAsync();
        _home.Dispose();
    }

    private ForgeCredentials Credentials() => new(new ClaudeHooksPaths(_home.Path), new GitHubAppTokens(_http, _clock), _clock);

    private async Task<HttpStatusCode> ReadIssuesAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Hub.ApiUrl, $"repos/{Hub.FullName}/issues"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.UserAgent.ParseAdd("claude-hooks-test");
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Token_MintedFromTheAppsKey_IsScopedToTheRepository_AndRenewedBeforeGitHubExpiresIt()
    {
        var credentials = Credentials();

        var first = await credentials.GetAsync(Lead, Repository, ForgeCredentials.ServiceScope, CancellationToken.None);
        var again = await credentials.GetAsync(Lead, Repository, ForgeCredentials.ServiceScope, CancellationToken.None);

        Assert.Equal(first, again);
        Assert.Equal("x-access-token", first.GitUser);
        Assert.Equal(["repo"], Assert.Single(Hub.MintedTokens).Repositories);
        Assert.Equal(HttpStatusCode.OK, await ReadIssuesAsync(first.Token));

        // Within five minutes of GitHub's expiry the service takes a new one; the old one still works until GitHub ends it.
        _clock.Advance(first.ExpiresAt!.Value - _clock.GetUtcNow() - ForgeCredentials.RenewBefore + TimeSpan.FromSeconds(1));
        var renewed = await credentials.GetAsync(Lead, Repository, ForgeCredentials.ServiceScope, CancellationToken.None);

        Assert.NotEqual(first.Token, renewed.Token);
        Assert.Equal(HttpStatusCode.OK, await ReadIssuesAsync(first.Token));

        _clock.Advance(ForgeCredentials.RenewBefore);
        Assert.Equal(HttpStatusCode.Unauthorized, await ReadIssuesAsync(first.Token));
        Assert.Equal(HttpStatusCode.OK, await ReadIssuesAsync(renewed.Token));
    }

    [Fact]
    public async Task EachTask_GetsATokenOfItsOwn_AndAForgottenTaskGetsANewOne()
    {
        var credentials = Credentials();

        var service = await credentials.GetAsync(Lead, Repository, ForgeCredentials.ServiceScope, CancellationToken.None);
        var taskA = await credentials.GetAsync(Lead, Repository, "task-a", CancellationToken.None);
        var taskB = await credentials.GetAsync(Lead, Repository, "task-b", CancellationToken.None);
        credentials.Forget("task-a");
        var taskAAgain = await credentials.GetAsync(Lead, Repository, "task-a", CancellationToken.None);

        Assert.Equal(4, new[] { service.Token, taskA.Token, taskB.Token, taskAAgain.Token }.Distinct().Count());
        Assert.Equal(taskB, await credentials.GetAsync(Lead, Repository, "task-b", CancellationToken.None));
        Assert.Equal(4, Hub.MintedTokens.Count);
    }

    [Fact]
    public async Task KeyThatIsNotTheApps_IsRefusedByGitHub_WithAMessageNamingTheApp()
    {
        using var other = RSA.Create(2048);
        _home.Write("github-app/lead.pem", other.ExportRSAPrivateKeyPem());

        var e = await Assert.ThrowsAnyAsync<Exception>(() => Credentials().GetAsync(Lead, Repository, ForgeCredentials.ServiceScope, CancellationToken.None).AsTask());

        Assert.True(e is ForgeApiException or CredentialException, e.ToString());
        Assert.Contains($"{AppId}", e.Message, StringComparison.Ordinal);
        Assert.Empty(Hub.MintedTokens);
    }

    [Fact]
    public async Task TokenAgent_OnGitHub_UsesItsTokenFile_WithGitHubsGitUser()
    {
        _home.Write("tokens/dev", "github_pat_dev\n");

        var credential = await Credentials().GetAsync(_config!.Find("dev")!, Repository, "task-a", CancellationToken.None);

        Assert.Equal(("github_pat_dev", "x-access-token", (DateTimeOffset?)null), (credential.Token, credential.GitUser, credential.ExpiresAt));
        Assert.Empty(Hub.MintedTokens);
    }
}
