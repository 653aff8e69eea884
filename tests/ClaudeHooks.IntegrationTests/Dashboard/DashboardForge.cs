using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>
/// The fake Forgejo in front of a repository of its own, wired to the class's service as in the forge flow tests
/// (signed webhooks, the agents' forge users, alice authorised), so work items come from real webhooks.
/// </summary>
internal sealed class DashboardForge
{
    /// <summary>The forge's public address in the config: the tracking comment's links start with it.</summary>
    public const string PublicUrl = "http://claude-hooks.test:8080";

    private DashboardForge(FakeForgejo forge, ServiceProcess service)
    {
        Forge = forge;
        Service = service;
    }

    public FakeForgejo Forge { get; }

    public ServiceProcess Service { get; }

    public static async Task<DashboardForge> StartAsync(DockerFixture fixture, DashboardHost host)
    {
        var repo = "ui-" + Guid.NewGuid().ToString("N")[..8];
        var cloneUrl = await fixture.Git.CreateRepositoryAsync("it-owner", repo, new Dictionary<string, string> { ["README.md"] = "# dashboard flow\n" });
        fixture.Git.RequiredToken = null;
        var forge = await FakeForgejo.StartAsync(fixture.Git.Host, fixture.Git, repo);
        host.OnDispose(() => forge.DisposeAsync().AsTask());
        foreach (var (agent, login) in new[] { ("boss", "it-lead"), ("dev", "it-dev"), ("reviewer", "it-reviewer") })
        {
            forge.AddUser(login, File.ReadAllText(Path.Combine(fixture.Home, "tokens", agent)).Trim(), "write");
        }

        forge.AddUser("alice", "alice-token", "write");
        forge.WebhookSecret = "webhook-secret-" + repo;
        AgentSandbox.WriteSecret(Path.Combine(fixture.Home, "webhooks", repo), forge.WebhookSecret);

        var service = await host.ServiceAsync(fixture, config =>
        {
            config["forge"] = new JsonObject
            {
                ["public_url"] = PublicUrl,
                ["reconcile_interval"] = "2s",
                ["repositories"] = new JsonObject
                {
                    [forge.FullName] = new JsonObject
                    {
                        ["url"] = forge.Url.ToString(),
                        ["clone_url"] = cloneUrl,
                        ["webhook_secret_file"] = $"webhooks/{repo}",
                        ["authorized_users"] = new JsonArray("alice"),
                        ["merge_style"] = "merge",
                    },
                },
            };
            return Task.CompletedTask;
        });
        forge.WebhookUrl = new Uri(service.BaseUrl, "webhook/forgejo");
        return new DashboardForge(forge, service);
    }

    /// <summary>Alice assigns the issue to the dev agent, as in the forge: the webhook queues the implementation.</summary>
    public async Task AssignToDevAsync(long issue, CancellationToken cancellationToken)
    {
        using var alice = new HttpClient { BaseAddress = Forge.Url };
        alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", "alice-token");
        using var assign = await alice.PatchAsJsonAsync($"api/v1/repos/{Forge.FullName}/issues/{issue}", new { assignees = new[] { "it-dev" } }, cancellationToken);
        Assert.Equal(HttpStatusCode.Created, assign.StatusCode);
    }
}
