using System.Text.Json;

namespace ClaudeHooks.Config;

/// <summary>
/// Reads one JSON object key by key, recording precise errors ("file: path.key: problem; fix") instead of
/// throwing, so that one pass reports every mistake. <see cref="Finish"/> reports keys nobody asked for.
/// </summary>
internal sealed class JsonObjectReader
{
    private readonly JsonElement _element;
    private readonly List<string> _errors;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public JsonObjectReader(string file, string path, JsonElement element, List<string> errors)
    {
        File = file;
        Path = path;
        _element = element;
        _errors = errors;
    }

    public string File { get; }

    public string Path { get; }

    public bool IsObject => _element.ValueKind == JsonValueKind.Object;

    public string KeyPath(string key) => Path.Length == 0 ? key : key.Length == 0 ? Path : $"{Path}.{key}";

    public void Error(string key, string problem) => _errors.Add($"{File}: {KeyPath(key)}: {problem}");

    public bool Has(string key) => _element.ValueKind == JsonValueKind.Object
        && _element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null;

    public string? String(string key, string? fallback = null, bool required = false)
    {
        if (!TryGet(key, out var value))
        {
            if (required)
            {
                Error(key, "is required; add it as a string");
            }

            return fallback;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error(key, $"must be a string, not {Describe(value)}");
            return fallback;
        }

        var text = value.GetString()!;
        if (text.Trim().Length == 0)
        {
            Error(key, "must not be empty; remove the key to use the default or give a value");
            return fallback;
        }

        return text;
    }

    public bool Bool(string key, bool fallback)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetBoolean();
        }

        Error(key, $"must be true or false, not {Describe(value)}");
        return fallback;
    }

    public double Number(string key, double fallback, double min, double max)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
        {
            Error(key, $"must be a number, not {Describe(value)}");
            return fallback;
        }

        if (number < min || number > max)
        {
            Error(key, $"{number} is out of range; use a value from {min} to {max}");
            return fallback;
        }

        return number;
    }

    public long Integer(string key, long fallback, long min, long max)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            Error(key, $"must be a whole number, not {Describe(value)}");
            return fallback;
        }

        if (number < min || number > max)
        {
            Error(key, $"{number} is out of range; use a whole number from {min} to {max}");
            return fallback;
        }

        return number;
    }

    public long Size(string key, long fallback, long min)
    {
        var text = TryGet(key, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : null : null;
        if (!Has(key))
        {
            return fallback;
        }

        if (text is null)
        {
            Error(key, $"must be a size string such as \"4g\" or \"512m\", not {Describe(value)}");
            return fallback;
        }

        if (!ByteSize.TryParse(text, out var bytes))
        {
            Error(key, $"\"{text}\" is not a size; use a number with a unit such as \"4g\", \"512m\" or \"1.5GiB\"");
            return fallback;
        }

        if (bytes < min)
        {
            Error(key, $"\"{text}\" is too small; use at least {ByteSize.Format(min)}");
            return fallback;
        }

        return bytes;
    }

    public TimeSpan Duration(string key, TimeSpan fallback)
    {
        if (!TryGet(key, out var value))
        {
            return fallback;
        }

        if (value.ValueKind != JsonValueKind.String || !Config.Duration.TryParse(value.GetString()!, out var duration))
        {
            Error(key, $"{Describe(value)} is not a duration; use a form such as \"90s\", \"10m\", \"1h30m\" or \"7d\"");
            return fallback;
        }

        return duration;
    }

    public IReadOnlyList<string> StringList(string key)
    {
        if (!TryGet(key, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(key, $"must be a list of strings, not {Describe(value)}");
            return [];
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString()!.Trim().Length > 0)
            {
                items.Add(item.GetString()!);
            }
            else
            {
                Error($"{key}[{index}]", $"must be a non-empty string, not {Describe(item)}");
            }

            index++;
        }

        return items;
    }

    public JsonObjectReader? Object(string key, bool required = false)
    {
        if (!TryGet(key, out var value))
        {
            if (required)
            {
                Error(key, "is required; add it as an object { ... }");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Error(key, $"must be an object {{ ... }}, not {Describe(value)}");
            return null;
        }

        return new JsonObjectReader(File, KeyPath(key), value, _errors);
    }

    /// <summary>The object's own entries, for maps keyed by name (such as <c>agents</c>).</summary>
    public IEnumerable<(string Name, JsonObjectReader? Reader)> Entries()
    {
        foreach (var property in _element.EnumerateObject())
        {
            _seen.Add(property.Name);
            if (property.Value.ValueKind != JsonValueKind.Object)
            {
                Error(property.Name, $"must be an object {{ ... }}, not {Describe(property.Value)}");
                yield return (property.Name, null);
                continue;
            }

            yield return (property.Name, new JsonObjectReader(File, KeyPath(property.Name), property.Value, _errors));
        }
    }

    /// <summary>The JSON kind of a key's value (<c>Undefined</c> when absent or null), for keys that take more than one form.</summary>
    public JsonValueKind Kind(string key) => TryGet(key, out var value) ? value.ValueKind : JsonValueKind.Undefined;

    /// <summary>The object's own keys, for maps of plain values (such as a cap per agent).</summary>
    public IReadOnlyList<string> Keys() => _element.ValueKind == JsonValueKind.Object ? [.. _element.EnumerateObject().Select(p => p.Name)] : [];

    public void Finish(IReadOnlyCollection<string>? known = null)
    {
        if (_element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in _element.EnumerateObject())
        {
            if (!_seen.Contains(property.Name))
            {
                var hint = known is { Count: > 0 } ? $"; known keys here: {string.Join(", ", known.Order(StringComparer.Ordinal))}" : "";
                Error(property.Name, $"unknown key; remove it or check its spelling{hint}");
            }
        }
    }

    private bool TryGet(string key, out JsonElement value)
    {
        _seen.Add(key);
        if (_element.ValueKind == JsonValueKind.Object && _element.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}
