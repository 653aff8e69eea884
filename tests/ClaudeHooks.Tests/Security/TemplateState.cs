using System.Collections;

namespace ClaudeHooks.Tests.Security;

/// <summary>A log entry's state as [LoggerMessage] makes it: the named values, then the template under {OriginalFormat}.</summary>
internal sealed class TemplateState(string template, IReadOnlyList<(string Key, object? Value)> values) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => values.Count + 1;

    public KeyValuePair<string, object?> this[int index] => index < values.Count
        ? new(values[index].Key, values[index].Value)
        : new("{OriginalFormat}", template);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString()
    {
        var text = template;
        foreach (var (key, value) in values)
        {
            text = text.Replace("{" + key + "}", Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return text;
    }
}
