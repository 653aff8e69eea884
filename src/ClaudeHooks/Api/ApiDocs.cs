using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ClaudeHooks.Api;

/// <summary>
/// <c>GET /api/docs</c>: the OpenAPI document as one readable page, rendered on the server from the same document
/// <c>/openapi/v1.json</c> serves. No script, and nothing from elsewhere (the service has no CDN to lean on): the
/// dashboard's stylesheet and its strict Content-Security-Policy.
/// </summary>
internal static class ApiDocs
{
    public const string Path = "/api/docs";

    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, RenderAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task RenderAsync(HttpContext context, [FromKeyedServices(ApiDocument.Name)] IOpenApiDocumentProvider provider, CancellationToken cancellationToken)
    {
        var document = await provider.GetOpenApiDocumentAsync(cancellationToken);
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Dashboard.DashboardSecurity.ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(Render(document), cancellationToken);
    }

    internal static string Render(OpenApiDocument document)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>claude-hooks API</title>")
            .Append("<link rel=\"stylesheet\" href=\"").Append(Dashboard.DashboardPaths.Assets).Append("/dashboard.css\"></head><body><main>\n")
            .Append("<h1>").Append(E(document.Info?.Title)).Append(" API ").Append(E(document.Info?.Version)).Append("</h1>\n")
            .Append("<p>").Append(E(document.Info?.Description)).Append("</p>\n")
            .Append("<p>The machine-readable document: <a href=\"").Append(ApiDocument.Path).Append("\">").Append(ApiDocument.Path).Append("</a>.</p>\n");

        html.Append("<h2>Authentication</h2>\n<dl>");
        foreach (var (name, scheme) in document.Components?.SecuritySchemes ?? new Dictionary<string, IOpenApiSecurityScheme>())
        {
            html.Append("<dt>").Append(E(name)).Append("</dt><dd>").Append(E(scheme.Description)).Append("</dd>");
        }

        html.Append("</dl>\n<h2>Endpoints</h2>\n");
        foreach (var (path, item) in document.Paths.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                Operation(html, method.Method, path, operation);
            }
        }

        html.Append("<h2>Schemas</h2>\n");
        foreach (var (name, schema) in (document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>()).OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            html.Append("<section id=\"schema-").Append(E(name)).Append("\"><h3>").Append(E(name)).Append("</h3>");
            if (schema.Description is { } description)
            {
                html.Append("<p>").Append(E(description)).Append("</p>");
            }

            Properties(html, schema);
            html.Append("</section>\n");
        }

        return html.Append("</main></body></html>\n").ToString();
    }

    private static void Operation(StringBuilder html, string method, string path, OpenApiOperation operation)
    {
        html.Append("<section id=\"").Append(E(operation.OperationId ?? method + path)).Append("\"><h3><code>").Append(E(method)).Append(' ').Append(E(path)).Append("</code></h3>");
        if (operation.Summary is { } summary)
        {
            html.Append("<p>").Append(E(summary)).Append("</p>");
        }

        var security = operation.Security?.SelectMany(r => r.Keys).Select(k => k.Reference.Id).ToList() ?? [];
        html.Append("<p>Authentication: ").Append(security.Count == 0 ? "none (loopback callers)" : E(string.Join(", ", security))).Append("</p>");

        if (operation.Parameters is { Count: > 0 } parameters)
        {
            html.Append("<table><caption>Parameters</caption><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>");
            foreach (var parameter in parameters)
            {
                html.Append("<tr><td><code>").Append(E(parameter.Name)).Append("</code>").Append(parameter.Required ? " (required)" : "").Append("</td><td>")
                    .Append(E(parameter.In?.ToString().ToLowerInvariant())).Append("</td><td>").Append(TypeOf(parameter.Schema)).Append("</td><td>")
                    .Append(E(parameter.Description)).Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        if (operation.RequestBody is { } body)
        {
            html.Append("<h4>Request body").Append(body.Required ? " (required)" : " (optional)").Append("</h4>");
            if (body.Description is { } description)
            {
                html.Append("<p>").Append(E(description)).Append("</p>");
            }

            foreach (var (mediaType, content) in body.Content ?? new Dictionary<string, OpenApiMediaType>())
            {
                html.Append("<p><code>").Append(E(mediaType)).Append("</code>: ").Append(TypeOf(content.Schema)).Append("</p>");
            }
        }

        html.Append("<table><caption>Responses</caption><thead><tr><th>status</th><th>description</th><th>body</th></tr></thead><tbody>");
        foreach (var (status, response) in (operation.Responses ?? []).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            html.Append("<tr><td>").Append(E(status)).Append("</td><td>").Append(E(response.Description)).Append("</td><td>");
            html.AppendJoin("<br>", (response.Content ?? new Dictionary<string, OpenApiMediaType>()).Select(c => $"<code>{E(c.Key)}</code> {TypeOf(c.Value.Schema)}"));
            html.Append("</td></tr>");
        }

        html.Append("</tbody></table></section>\n");
    }

    private static void Properties(StringBuilder html, IOpenApiSchema schema)
    {
        if (schema.Properties is not { Count: > 0 } properties)
        {
            html.Append("<p>").Append(TypeOf(schema)).Append("</p>");
            return;
        }

        html.Append("<table><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>");
        foreach (var (name, property) in properties)
        {
            html.Append("<tr><td><code>").Append(E(name)).Append("</code>").Append(schema.Required?.Contains(name) == true ? " (required)" : "").Append("</td><td>")
                .Append(TypeOf(property)).Append("</td><td>").Append(E(property.Description)).Append("</td></tr>");
        }

        html.Append("</tbody></table>");
    }

    /// <summary>A schema's type in words, with a link to a named schema.</summary>
    private static string TypeOf(IOpenApiSchema? schema)
    {
        switch (schema)
        {
            case null:
                return "any";
            case OpenApiSchemaReference reference when reference.Reference.Id is { } id:
                return $"<a href=\"#schema-{E(id)}\">{E(id)}</a>";
        }

        var alternatives = (schema.OneOf ?? []).Concat(schema.AnyOf ?? []).ToList();
        if (alternatives.Count > 0)
        {
            return string.Join(" or ", alternatives.Select(TypeOf));
        }

        if (schema.Type is not { } type)
        {
            return "any";
        }

        var names = Enum.GetValues<JsonSchemaType>().Where(t => type.HasFlag(t)).Select(t => t == JsonSchemaType.Array ? $"array of {TypeOf(schema.Items)}" : E(t.ToString().ToLowerInvariant()));
        var text = string.Join(" or ", names);
        if (schema.Format is { } format)
        {
            text += string.Create(CultureInfo.InvariantCulture, $" ({E(format)})");
        }

        return text;
    }

    private static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");
}
