using System.Text.Json;

namespace ClaudeHooks.Gateway;

/// <summary>
/// What a Messages API request says it may cost: its size, the model it asks for and its <c>max_tokens</c>. A response
/// that ends before its usage arrives is charged as this worst case, so cutting a stream short saves nothing.
/// </summary>
internal sealed record ModelRequestFacts(long Bytes, string? Model, long? MaxTokens)
{
    /// <summary>Where the facts of a request are kept between its inspection and its metering.</summary>
    public const string ItemKey = "claude-hooks.model-request";

    /// <summary>Reads the top-level <c>model</c> and <c>max_tokens</c>; a body that is not JSON has neither.</summary>
    public static ModelRequestFacts Read(ReadOnlySpan<byte> json)
    {
        string? model = null;
        long? maxTokens = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                var name = reader.GetString();
                if (!reader.Read())
                {
                    break;
                }

                if (name == "model" && reader.TokenType == JsonTokenType.String)
                {
                    model = reader.GetString();
                }
                else if (name == "max_tokens" && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) && n > 0)
                {
                    maxTokens = n;
                }
                else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // What was read stands; the rest was never going to be a valid request.
        }

        return new ModelRequestFacts(json.Length, model, maxTokens);
    }
}
