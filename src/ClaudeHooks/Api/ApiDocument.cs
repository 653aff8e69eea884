using System.Text;
using ClaudeHooks.Dashboard;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ClaudeHooks.Api;

/// <summary>
/// The OpenAPI document (<c>GET /openapi/v1.json</c>): the API's endpoints with their request and response schemas
/// in the JSON's own snake_case names, the bearer scheme on every operation but the two that prove themselves
/// otherwise (health from loopback, webhooks by their HMAC), and no dashboard route.
/// </summary>
internal static class ApiDocument
{
    public const string Name = "v1";
    public const string Path = "/openapi/v1.json";
    public const string Bearer = "bearer";
    public const string WebhookSignature = "webhook_signature";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.Configure<OpenApiOptions>(Name, options =>
        {
            options.ShouldInclude = description => description.RelativePath is { } path && !DashboardPaths.Contains(new PathString("/" + path));
            options.AddDocumentTransformer(DescribeAsync);
            options.AddOperationTransformer(DescribeForeignAsync);
            options.AddSchemaTransformer(CamelCaseHealth);
        });

    /// <summary>Paths that take no bearer token: <c>GET /api/health</c> from loopback, and the webhooks.</summary>
    public static bool IsOpen(string path) => path == "/api/health" || path.StartsWith("/webhook/", StringComparison.Ordinal);

    private static async Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "claude-hooks",
            Version = Name,
            Description = "The task API of claude-hooks: submit, follow, list and cancel Claude Code tasks, read the gateway's egress log, and receive forge webhooks. "
                + "Errors are application/problem+json naming the field and the fix.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The token in $CLAUDE_HOOKS_HOME/api-token (created 0600 on first start): Authorization: Bearer <token>.",
        };
        document.Components.SecuritySchemes[WebhookSignature] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Forgejo-Signature",
            Description = "The hex HMAC-SHA256 of the body under the repository's webhook secret (X-Gitea-Signature is read too).",
        };

        // The endpoints' own problem responses put ProblemDetails among the components; these refer to it too.
        IOpenApiSchema problem = document.Components.Schemas?.ContainsKey(nameof(Microsoft.AspNetCore.Mvc.ProblemDetails)) == true
            ? new OpenApiSchemaReference(nameof(Microsoft.AspNetCore.Mvc.ProblemDetails), document)
            : await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), null, cancellationToken);
        OpenApiResponse Problem(string description) => new()
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
        };

        foreach (var (path, item) in document.Paths)
        {
            foreach (var operation in item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            {
                operation.Responses ??= [];
                // Every request passes the Host check first, the open ones too.
                operation.Responses.TryAdd("403", Problem("The Host header is not this service (call it as localhost or 127.0.0.1, or add the name to service.allowed_hosts)"));
                if (IsOpen(path))
                {
                    // Health: nothing from loopback (the empty requirement), the token from anywhere else.
                    operation.Security = path.StartsWith("/webhook/", StringComparison.Ordinal)
                        ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(WebhookSignature, document)] = [] }]
                        : [new OpenApiSecurityRequirement(), new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }];
                    continue;
                }

                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }];
                operation.Responses.TryAdd("401", Problem("No bearer token, or not the one in $CLAUDE_HOOKS_HOME/api-token"));
            }
        }
    }

    /// <summary>The endpoints whose modules are not the API's own (health, webhooks): their answers described from here.</summary>
    private static async Task DescribeForeignAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        switch (operation.OperationId)
        {
            case "GetHealth":
                operation.Summary ??= "Engine, images, networks, agents, queue and database; open to loopback callers without the token";
                operation.Responses?.Clear();
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status200OK, "Everything the agents need is in place", typeof(HealthApi.HealthResponse), cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status503ServiceUnavailable, "Something is missing: problems says what and how to fix it", typeof(HealthApi.HealthResponse), cancellationToken);
                break;
            case "ForgejoWebhook":
                operation.Responses?.Clear();
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "The forge's webhook payload as it sent it (issue, issue_comment, pull_request, pull_request_review events), at most forge.max_webhook_bytes.",
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } } },
                };
                ApiOperations.AddHeader(operation, "X-Forgejo-Event-Type", "The event (X-Gitea-Event-Type is read too).");
                ApiOperations.AddHeader(operation, "X-Forgejo-Delivery", "The delivery's id; one seen before changes nothing (X-Gitea-Delivery is read too).");
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status202Accepted, "Stored; the work happens in the background", typeof(WebhookAccepted), cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status400BadRequest, "A header is missing or the body is not JSON", null, cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status401Unauthorized, "The signature is missing or matches no configured repository's secret", null, cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status413PayloadTooLarge, "The body is over forge.max_webhook_bytes", null, cancellationToken);
                break;
            case "GitHubWebhook":
                operation.Responses?.Clear();
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "GitHub's webhook payload as it sent it (issues, issue_comment, pull_request, pull_request_review and ping events), content type application/json, at most forge.max_webhook_bytes.",
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } } },
                };
                ApiOperations.AddHeader(operation, "X-GitHub-Event", "The event.");
                ApiOperations.AddHeader(operation, "X-GitHub-Delivery", "The delivery's id; one seen before changes nothing.");
                ApiOperations.AddHeader(operation, "X-Hub-Signature-256", "sha256=HMAC-SHA256 of the raw body under the repository's webhook secret.");
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status200OK, "A ping: the hook's secret matches a configured repository", typeof(WebhookAccepted), cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status202Accepted, "Stored; the work happens in the background", typeof(WebhookAccepted), cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status400BadRequest, "A header is missing, a Forgejo delivery was sent here, or the body is not JSON", null, cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status401Unauthorized, "The signature is missing or matches no configured GitHub repository's secret", null, cancellationToken);
                await ApiOperations.RespondAsync(operation, context, StatusCodes.Status413PayloadTooLarge, "The body is over forge.max_webhook_bytes", null, cancellationToken);
                break;
        }
    }

    /// <summary>The health answer is written with camelCase names (it predates the API's snake_case), so its schema says so.</summary>
    private static Task CamelCaseHealth(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type.DeclaringType != typeof(HealthApi) || schema.Properties is null)
        {
            return Task.CompletedTask;
        }

        schema.Properties = schema.Properties.ToDictionary(p => CamelCase(p.Key), p => p.Value);
        if (schema.Required is { Count: > 0 } required)
        {
            schema.Required = new HashSet<string>(required.Select(CamelCase));
        }

        return Task.CompletedTask;
    }

    private static string CamelCase(string snake)
    {
        var parts = snake.Split('_');
        var name = new StringBuilder(parts[0]);
        foreach (var part in parts.Skip(1).Where(p => p.Length > 0))
        {
            name.Append(char.ToUpperInvariant(part[0])).Append(part[1..]);
        }

        return name.ToString();
    }
}
