using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Forge;

/// <summary>
/// <c>POST /webhook/forgejo</c> (Gitea's headers too): the body is read through a size cap, its HMAC checked
/// against each configured repository's secret in constant time before anything is parsed, the delivery stored
/// (a delivery id seen before changes nothing), and 202 answered at once; the work happens in the dispatcher.
/// </summary>
internal static class WebhookApi
{
    public static IEndpointRouteBuilder MapWebhookApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhook/forgejo", ReceiveAsync).WithName("ForgejoWebhook").WithSummary("Signed Forgejo/Gitea webhook deliveries");
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, AgentsConfig config, IForgeStore store, ForgeDispatcher dispatcher, CancellationToken cancellationToken)
    {
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

        var signature = WebhookSignature.From(context.Request.Headers);
        if (signature is null)
        {
            return Problems.Field(StatusCodes.Status401Unauthorized, "X-Forgejo-Signature", "missing; give the webhook a secret on the forge and the same secret in the repository's webhook_secret_file");
        }

        // Which repository's secret signed it: each is tried, in constant time per comparison.
        var repository = forge.Repositories.FirstOrDefault(r => Secret(r) is { } secret && WebhookSignature.Verify(body, secret, signature));
        if (repository is null)
        {
            return Problems.Field(StatusCodes.Status401Unauthorized, "X-Forgejo-Signature", "does not match the body under any configured repository's secret");
        }

        var eventType = WebhookEvent.EventTypeFrom(context.Request.Headers);
        var delivery = WebhookEvent.DeliveryFrom(context.Request.Headers);
        if (eventType is null || delivery is null)
        {
            return Problems.Field(StatusCodes.Status400BadRequest, eventType is null ? "X-Forgejo-Event-Type" : "X-Forgejo-Delivery", "missing; this endpoint takes Forgejo or Gitea webhooks");
        }

        string repo;
        string? action;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            var parsed = WebhookEvent.Parse(eventType, document.RootElement);
            (repo, action) = (parsed.Repo, parsed.Action);
        }
        catch (JsonException e)
        {
            return Problems.Field(StatusCodes.Status400BadRequest, "body", $"not valid JSON ({e.Message.Split('.')[0]}); set the hook's content type to application/json");
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
