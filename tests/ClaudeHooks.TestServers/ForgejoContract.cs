using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace ClaudeHooks.TestServers;

/// <summary>
/// Forgejo's own REST contract (its Swagger 2.0 document, <c>Contracts/forgejo-swagger.v1.json</c>, as Forgejo serves it
/// at <c>/swagger.v1.json</c>) held against each request a client sends: the method and path template exist, every
/// required path and query parameter is there and no query parameter is one the operation does not take, and the JSON
/// body validates against the body parameter's schema. A field the schema does not name is a mismatch too: Forgejo
/// would ignore it, so the request would not do what its sender meant. Read as Forgejo's Go decoder reads a body:
/// property names match regardless of case and a JSON null is the same as an absent field.
/// </summary>
public sealed class ForgejoContract
{
    private static readonly Lazy<ForgejoContract> Shared = new(() => new ForgejoContract(Path.Combine(AppContext.BaseDirectory, "Contracts", "forgejo-swagger.v1.json")));

    /// <summary>
    /// Templates whose last parameter Forgejo's router takes as a wildcard (<c>/{base}/*</c>, <c>/branches/*</c> in
    /// routers/api/v1/api.go), so a branch name's slashes arrive as slashes; the Swagger document cannot say so.
    /// </summary>
    private static readonly HashSet<string> Wildcards = ["/repos/{owner}/{repo}/pulls/{base}/{head}", "/repos/{owner}/{repo}/branches/{branch}"];

    private readonly string _basePath;
    private readonly List<Operation> _operations = [];
    private readonly JsonObject _definitions;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new();
    private readonly ConcurrentDictionary<string, JsonNode> _resolved = new();

    private ForgejoContract(string file)
    {
        var document = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        _basePath = document["basePath"]!.GetValue<string>().TrimEnd('/');
        _definitions = document["definitions"]!.AsObject();
        foreach (var (template, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (operation is JsonObject op && op["operationId"] is { } id)
                {
                    var parameters = (op["parameters"] as JsonArray ?? []).OfType<JsonObject>().ToList();
                    _operations.Add(new Operation(method.ToUpperInvariant(), template, template.Trim('/').Split('/'), id.GetValue<string>(), parameters));
                }
            }
        }
    }

    /// <summary>The contract of the Forgejo release the project targets.</summary>
    public static ForgejoContract Forgejo => Shared.Value;

    /// <summary>How many operations the document describes.</summary>
    public int Operations => _operations.Count;

    /// <summary>
    /// Every way a request breaks the contract, each naming the operation and the field; empty when it keeps it, or when
    /// its path is not under the API's base path (git, the web UI). <paramref name="path"/> is the request's path, with
    /// the base path, unescaped segment by segment.
    /// </summary>
    public IReadOnlyList<string> Check(string method, string path, IReadOnlyDictionary<string, string> query, string body)
    {
        if (!path.StartsWith(_basePath + "/", StringComparison.Ordinal))
        {
            return [];
        }

        var all = path[_basePath.Length..].Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var matches = _operations.Where(o => Fit(o, all) is not null).ToList();
        if (matches.Count == 0)
        {
            return [$"{method} {path}: no path template of the Forgejo API matches it"];
        }

        // The most literal template wins: /repos/{owner}/{repo}/issues/comments/{id} over .../issues/{index}/{x}.
        var best = matches.Max(o => o.Segments.Count(s => !IsParameter(s)));
        var candidates = matches.Where(o => o.Segments.Count(s => !IsParameter(s)) == best).ToList();
        var operation = candidates.FirstOrDefault(o => o.Method == method);
        if (operation is null)
        {
            return [$"{method} {path}: {candidates[0].Template} takes {string.Join(", ", candidates.Select(c => c.Method))}, not {method}"];
        }

        var segments = Fit(operation, all)!;
        var problems = new List<string>();
        var name = $"{operation.Id} ({method} {operation.Template})";
        foreach (var parameter in operation.Parameters)
        {
            var (where, field) = (parameter["in"]?.GetValue<string>(), parameter["name"]!.GetValue<string>());
            var required = parameter["required"]?.GetValue<bool>() == true;
            if (where == "path")
            {
                var value = segments[Array.IndexOf(operation.Segments, "{" + field + "}")];
                if (TypeProblem(parameter, value) is { } problem)
                {
                    problems.Add($"{name}: path parameter {field}: {problem}");
                }
            }
            else if (where == "query")
            {
                if (query.TryGetValue(field, out var value))
                {
                    if (TypeProblem(parameter, value) is { } problem)
                    {
                        problems.Add($"{name}: query parameter {field}: {problem}");
                    }
                }
                else if (required)
                {
                    problems.Add($"{name}: query parameter {field} is required and missing");
                }
            }
        }

        foreach (var given in query.Keys.Where(k => !operation.Parameters.Any(p => p["in"]?.GetValue<string>() == "query" && p["name"]!.GetValue<string>() == k)))
        {
            problems.Add($"{name}: query parameter {given} is not one the operation takes (Forgejo ignores it)");
        }

        var bodyParameter = operation.Parameters.FirstOrDefault(p => p["in"]?.GetValue<string>() == "body");
        if (body.Trim().Length == 0)
        {
            if (bodyParameter?["required"]?.GetValue<bool>() == true)
            {
                problems.Add($"{name}: the body is required and missing");
            }

            return problems;
        }

        if (bodyParameter?["schema"] is not JsonObject schema)
        {
            problems.Add($"{name}: the operation takes no body, but one was sent");
            return problems;
        }

        JsonNode? instance;
        try
        {
            instance = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            problems.Add($"{name}: the body is not JSON ({e.Message})");
            return problems;
        }

        var resolved = Resolve(schema);
        instance = AsGoReadsIt(instance, resolved);
        var results = Schema(schema.ToJsonString()).Evaluate(JsonDocument.Parse(instance?.ToJsonString() ?? "null").RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
        {
            foreach (var detail in new[] { results }.Concat(results.Details ?? []).Where(d => d.Errors is { Count: > 0 }))
            {
                var field = detail.InstanceLocation.ToString() is { Length: > 0 } pointer ? pointer : "/";
                foreach (var (keyword, error) in detail.Errors!)
                {
                    problems.Add($"{name}: body field {field}: {error} ({keyword})");
                }
            }
        }

        return problems;
    }

    private static bool IsParameter(string segment) => segment.StartsWith('{') && segment.EndsWith('}');

    /// <summary>The path's segments laid on the template's (a wildcard's taking the rest), or null when the template does not fit.</summary>
    private static string[]? Fit(Operation operation, string[] segments)
    {
        var template = operation.Segments;
        if (Wildcards.Contains(operation.Template) && segments.Length > template.Length)
        {
            segments = [.. segments[..(template.Length - 1)], string.Join('/', segments[(template.Length - 1)..])];
        }

        return template.Length == segments.Length && template.Zip(segments).All(p => IsParameter(p.First) || p.First == p.Second) ? segments : null;
    }

    private static string? TypeProblem(JsonObject parameter, string value)
    {
        var type = parameter["type"]?.GetValue<string>();
        if (type == "integer" && !long.TryParse(value, out _))
        {
            return $"\"{value}\" is not an integer";
        }

        if (type == "boolean" && value is not ("true" or "false"))
        {
            return $"\"{value}\" is not true or false";
        }

        if (parameter["enum"] is JsonArray allowed && !allowed.Any(a => a?.ToString() == value))
        {
            return $"\"{value}\" is not one of {string.Join(", ", allowed)}";
        }

        return null;
    }

    /// <summary>A body schema as JSON Schema: Swagger's <c>#/definitions/</c> become <c>$defs</c>, and every object that names its properties takes no others.</summary>
    private JsonSchema Schema(string root) => _schemas.GetOrAdd(root, text =>
    {
        var schema = Strict(JsonNode.Parse(text.Replace("#/definitions/", "#/$defs/", StringComparison.Ordinal))!)!.AsObject();
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        schema["$defs"] = Strict(JsonNode.Parse(_definitions.ToJsonString().Replace("#/definitions/", "#/$defs/", StringComparison.Ordinal)));
        return JsonSchema.FromText(schema.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri($"urn:forgejo:{Guid.NewGuid():N}"));
    });

    private static JsonNode? Strict(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (key.StartsWith("x-", StringComparison.Ordinal) || key is "discriminator" or "example")
                    {
                        o.Remove(key);
                    }
                    else if (key != "properties")
                    {
                        Strict(o[key]);
                    }
                }

                if (o["properties"] is JsonObject properties)
                {
                    foreach (var (_, property) in properties)
                    {
                        Strict(property);
                    }

                    o.TryAdd("additionalProperties", false);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Strict(item);
                }

                break;
        }

        return node;
    }

    /// <summary>The schema with its <c>$ref</c>s followed, for reading property names.</summary>
    private JsonNode Resolve(JsonNode schema)
    {
        var reference = schema["$ref"]?.GetValue<string>();
        return reference is null ? schema : _resolved.GetOrAdd(reference, r => _definitions[r["#/definitions/".Length..]]!);
    }

    /// <summary>
    /// The body as Go's encoding/json decodes it into Forgejo's structs: nulls dropped (a null leaves the field as if
    /// absent) and each property renamed to the schema's spelling when it matches regardless of case.
    /// </summary>
    private JsonNode? AsGoReadsIt(JsonNode? instance, JsonNode schema)
    {
        var resolved = Resolve(schema);
        switch (instance)
        {
            case JsonObject o when resolved["properties"] is JsonObject properties:
                var copy = new JsonObject();
                foreach (var (key, value) in o)
                {
                    if (value is null)
                    {
                        continue;
                    }

                    var known = properties.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase));
                    var name = known.Key ?? key;
                    copy[name] = known.Value is { } propertySchema ? AsGoReadsIt(value.DeepClone(), propertySchema) : value.DeepClone();
                }

                return copy;
            case JsonArray a when resolved["items"] is { } items:
                return new JsonArray([.. a.Select(i => AsGoReadsIt(i?.DeepClone(), items))]);
            default:
                return instance;
        }
    }

    private sealed record Operation(string Method, string Template, string[] Segments, string Id, IReadOnlyList<JsonObject> Parameters);
}
