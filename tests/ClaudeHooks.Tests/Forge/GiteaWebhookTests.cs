using System.Net;
using ClaudeHooks.Forge;
using ClaudeHooks.Tests.Api;

namespace ClaudeHooks.Tests.Forge;

/// <summary>
/// One real capture sent with each header set a forge of the Forgejo family uses: Forgejo's, Gitea's (which also sends
/// GitHub's names, as Gitea does for compatibility) and Gogs'. Each is stored as the same event at
/// <c>/webhook/forgejo</c>, and refused at <c>/webhook/github</c>.
/// </summary>
public sealed class GiteaWebhookTests
{
    private const string Secret = "the example secret";

    private static readonly string Config = """
        {
          "agents": { "boss": { "role": "lead", "forge_user": "lead-bot" }, "dev": { "role": "dev", "forge_user": "example" }, "reviewer": { "role": "reviewer", "forge_user": "review-bot" } },
          "forge": { "public_url": "https://hooks.example", "repositories": { "example/example": { "url": "http://localhost:3000", "webhook_secret_file": "webhooks/example" } } }
        }
        """;

    private static HttpRequestMessage Delivery(string path, string headers, string id, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        var signature = WebhookSignature.Sign(body, Secret);
        var prefixes = headers switch { "forgejo" => new[] { "X-Forgejo", "X-Gitea", "X-Gogs" }, "gitea" => ["X-Gitea", "X-Gogs"], _ => ["X-Gogs"] };
        foreach (var prefix in prefixes)
        {
            request.Headers.Add($"{prefix}-Event", "issues");
            request.Headers.Add($"{prefix}-Event-Type", "issue_assign");
            request.Headers.Add($"{prefix}-Delivery", id);
            request.Headers.Add($"{prefix}-Signature", signature);
        }

        if (headers != "gogs")
        {
            request.Headers.Add("X-GitHub-Event", "issues");
            request.Headers.Add("X-GitHub-Delivery", id);
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + signature);
        }

        return request;
    }

    [Theory]
    [InlineData("forgejo")]
    [InlineData("gitea")]
    [InlineData("gogs")]
    public async Task RealCapture_WithEachHeaderSet_IsStoredAsTheSameEvent_AndRefusedAtTheGitHubEndpoint(string headers)
    {
        var body = await File.ReadAllBytesAsync(ForgePayloadTests.PayloadPath("issues-assigned.json"));
        await using var host = await ApiHost.StartAsync(Config, home =>
        {
            Directory.CreateDirectory(Path.Combine(home, "webhooks"));
            File.WriteAllText(Path.Combine(home, "webhooks", "example"), Secret);
            File.SetUnixFileMode(Path.Combine(home, "webhooks", "example"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        });

        using var atGitHub = await host.Anonymous.SendAsync(Delivery("webhook/github", headers, "d-github", body));
        using var accepted = await host.Anonymous.SendAsync(Delivery("webhook/forgejo", headers, "d1", body));

        Assert.Equal(HttpStatusCode.BadRequest, atGitHub.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var stored = Assert.Single(await host.Store.ListDeliveriesAsync(false, 10, CancellationToken.None));
        Assert.Equal(("d1", "issue_assign", "assigned", "example/example"), (stored.DeliveryId, stored.EventType, stored.Action, stored.Repo));
    }
}
