using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Forge;

/// <summary>
/// <c>POST /webhook/forgejo</c> (Gitea's headers too) and <c>POST /webhook/github</c>: the body is read through a
/// size cap, its HMAC checked against the secret of each configured repository of that forge, in constant time, before
/// anything is parsed, the delivery stored (a delivery id seen before changes nothing), and 202 answered at once; the
/// work happens in the dispatcher. A delivery signed with one forge's secret is never taken at the other's endpoint.
/// </summary>
internal static class WebhookApi
{
    public static IEndpointRouteBuilder MapWebhookApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhook/forgejo", (HttpContext context, AgentsConfig config, IForgeStore store, ForgeDispatcher dispatcher, CancellationToken cancellationToken) =>
                ReceiveAsync(ForgeKind.Forgejo, context, config, store, dispatcher, cancellationToken))
            .WithName("ForgejoWebhook").WithSummary("Signed Forgejo/Gitea webhook deliveries");
        app.MapPost("/webhook/github", (HttpContext context, AgentsConfig config, IForgeStore store, ForgeDispatcher dispatcher, CancellationToken cancellationToken) =>
                ReceiveAsync(ForgeKind.GitHub, context, config, store, dispatcher, cancellationToken))
            .WithName("GitHubWebhook").WithSummary("Signed GitHub webhook deliveries");
        return app;
    }

    private static async Task<IResult> ReceiveAsync(ForgeKind kind, HttpContext context, AgentsConfig config, IForgeStore store, ForgeDispatcher dispatcher, CancellationToken cancellationToken)
    {
        var github = kind == ForgeKind.GitHub;
        var signatureHeader = github ? "X-Hub-Signature-256" : "X-Forgejo-Signature";
        if (config.Forge is not { } forge)
        {
            return Problems.Field(StatusCodes.Status404NotFound, "forge", "webhooks are not configured; add a \"forge\" section to agents.json");
        }

        if (context.Request.ContentLength > forge.MaxWebhookBytes)
        {
            return Problems.Field(StatusCodes.Status413PayloadTooLarge, "body", $"{context.Request.ContentLength} bytes is over the {forge.MaxWebhookBytes}-byte limit (forge.max_webhook_bytes)");
        }

        var body = await RequestBody.ReadCappedAsync(context.Request.Body, forge.MaxWebhookBytes, cancellationToken);
        if (body is null)
        {
            return Problems.Field(StatusCodes.Status413PayloadTooLarge, "body", $"over the {forge.MaxWebhookBytes}-byte limit (forge.max_webhook_bytes)");
        }

        var headers = context.Request.Headers;
        if (github && (WebhookEvent.EventTypeFrom(headers) is not null || WebhookEvent.DeliveryFrom(headers) is not null))
        {
            return Problems.Field(StatusCodes.Status400BadRequest, "X-Forgejo-Event-Type", "a Forgejo or Gitea delivery was sent to /webhook/github; point the hook at /webhook/forgejo");
        }

        if (!github && GitHubWebhookEvent.EventFrom(headers) is not null && WebhookEvent.EventTypeFrom(headers) is null)
        {
            return Problems.Field(StatusCodes.Status400BadRequest, "X-GitHub-Event", "a GitHub delivery was sent to /webhook/forgejo; point the hook at /webhook/github");
        }

        var signature = github ? WebhookSignature.FromGitHub(headers) : WebhookSignature.From(headers);
        if (signature is null)
        {
            return Problems.Field(StatusCodes.Status401Unauthorized, signatureHeader, "missing; give the webhook a secret on the forge and the same secret in the repository's webhook_secret_file");
        }

        // Which repository's secret signed it: each of this forge's is tried, in constant time per comparison.
        var repository = forge.Repositories.FirstOrDefault(r => (r.Kind == ForgeKind.GitHub) == github && Secret(r) is { } secret && WebhookSignature.Verify(body, secret, signature));
        if (repository is null)
        {
            return Problems.Field(StatusCodes.Status401Unauthorized, signatureHeader, $"does not match the body under any configured {(github ? "GitHub" : "Forgejo or Gitea")} repository's secret");
        }

        var eventType = github ? GitHubWebhookEvent.EventFrom(headers) : WebhookEvent.EventTypeFrom(headers);
        var delivery = github ? GitHubWebhookEvent.DeliveryFrom(headers) : WebhookEvent.DeliveryFrom(headers);
        if (eventType is null || delivery is null)
        {
            return github
                ? Problems.Field(StatusCodes.Status400BadRequest, eventType is null ? "X-GitHub-Event" : "X-GitHub-Delivery", "missing; this endpoint takes GitHub webhooks")
                : Problems.Field(StatusCodes.Status400BadRequest, eventType is null ? "X-Forgejo-Event-Type" : "X-Forgejo-Delivery", "missing; this endpoint takes Forgejo or Gitea webhooks");
        }

        string repo;
        string? action;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            var parsed = github ? GitHubWebhookEvent.Parse(eventType, document.RootElement) : WebhookEvent.Parse(eventType, document.RootElement);
            (repo, action) = (parsed.Repo, parsed.Action);
        }
        catch (JsonException e)
        {
            return Problems.Field(StatusCodes.Status400BadRequest, "body", $"not valid JSON ({e.Message.Split('.')[0]}); set the hook's content type to application/json");
        }

        // GitHub's ping when a hook is created: signed like any delivery, answered, and nothing stored.
        if (github && eventType == "ping")
        {
            return TypedResults.Ok(new { delivery, status = $"pong; the hook's secret matches {repository.FullName}" });
        }

        if (!string.Equals(repo, repository.FullName, StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Field(StatusCodes.Status401Unauthorized, "repository", $"the payload is for {repo}, but it was signed with the secret of {repository.FullName}");
        }

        var recorded = await store.RecordDeliveryAsync(delivery, eventType, action, repository.FullName, body, CancellationToken.None);
        if (recorded)
        {
            dispatcher.Nudge();
        }

        return TypedResults.Accepted((string?)null, new { delivery, status = recorded ? "accepted" : "duplicate delivery; nothing done" });
    }

    private static string? Secret(ForgeRepository repository)
    {
        try
        {
            return AgentCredentials.ReadSecretFile(repository.WebhookSecretFile, $"the webhook secret of {repository.FullName}");
        }
        catch (CredentialException)
        {
            // A repository without a readable secret accepts nothing.
            return null;
        }
    }
}
