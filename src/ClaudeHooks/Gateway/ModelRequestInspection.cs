using System.Text;
using System.Text.Json;

namespace ClaudeHooks.Gateway;

/// <summary>
/// Looks through a Messages API request, forward only and at every occurrence of a key (so a repeated key cannot
/// hide one), for what would make the model's servers act outside the gateway: MCP servers, server-side tools and
/// containers, and content sources fetched by URL or read from the Files API.
/// </summary>
internal static class ModelRequestInspection
{
    private static readonly string[] ServerToolPrefixes = ["web_search", "web_fetch", "code_execution", "computer_", "bash_code_execution", "text_editor_code_execution", "container", "mcp_"];

    public static string? Problem(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        // For each open object or array: the property whose value it is ("" inside an array or at the top).
        var containers = new List<string>();
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        if (containers.Count == 1 && property is "mcp_servers" or "container")
                        {
                            return $"{property} would let the model's servers connect anywhere; claude-hooks does not forward it";
                        }

                        continue;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        containers.Add(property ?? "");
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        containers.RemoveAt(containers.Count - 1);
                        break;
                    case JsonTokenType.String when property == "type":
                        var type = reader.GetString() ?? "";
                        if (ServerToolPrefixes.Any(p => type.StartsWith(p, StringComparison.Ordinal)))
                        {
                            return $"the server-side tool {type} would reach out from the model's servers, past the gateway's allowlist; claude-hooks does not forward it";
                        }

                        if (containers.Count > 0 && containers[^1] == "source" && type is "url" or "file")
                        {
                            return type == "url"
                                ? "content with a url source is fetched by the model's servers, past the gateway's allowlist; claude-hooks does not forward it"
                                : "content with a file source reads the Files API, which the gateway does not open to sandboxes";
                        }

                        break;
                }

                property = null;
            }
        }
        catch (JsonException)
        {
            return "the request body is not JSON";
        }

        return null;
    }

    /// <summary>The same, for a body given as text (tests).</summary>
    public static string? Problem(string json) => Problem(Encoding.UTF8.GetBytes(json));
}
