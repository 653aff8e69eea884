using System.Text.Json.Nodes;

namespace ClaudeHooks.TestServers;

internal static class JsonObjectExtensions
{
    /// <summary>Applies <paramref name="change"/> to <paramref name="node"/> and returns it, to build payloads as one expression.</summary>
    public static JsonObject Also(this JsonObject node, Action<JsonObject> change)
    {
        change(node);
        return node;
    }
}
