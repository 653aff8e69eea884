using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Microsoft.AspNetCore.OpenApi;

namespace ClaudeHooks.Api;

/// <summary>
/// Operation transformers for what the API reads by hand (query strings, headers, bodies read through a size cap),
/// so the document describes what each endpoint really takes.
/// </summary>
internal static class ApiOperations
{
    public static Func<OpenApiOperation, OpenApiOperationTransformerContext, CancellationToken, Task> Query(params (string Name, string Description)[] parameters) =>
        (operation, _, _) => Add(operation, ParameterLocation.Query, parameters);

    public static Func<OpenApiOperation, OpenApiOperationTransformerContext, CancellationToken, Task> Header(string name, string description) =>
        (operation, _, _) => Add(operation, ParameterLocation.Header, [(name, description)]);

    public static void AddHeader(OpenApiOperation operation, string name, string description) =>
        Add(operation, ParameterLocation.Header, [(name, description)]);

    private static Task Add(OpenApiOperation operation, ParameterLocation location, (string Name, string Description)[] parameters)
    {
        operation.Parameters ??= [];
        foreach (var (name, description) in parameters)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = location,
                Description = description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        return Task.CompletedTask;
    }

    /// <summary>A JSON response of <paramref name="type"/>, or a problem response when it is null.</summary>
    public static async Task RespondAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, string description, Type? type, CancellationToken cancellationToken)
    {
        operation.Responses ??= [];
        var mediaType = type is null ? "application/problem+json" : "application/json";
        var schema = await context.GetOrCreateSchemaAsync(type ?? typeof(ProblemDetails), null, cancellationToken);
        operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [mediaType] = new() { Schema = schema } },
        };
    }
}
