using System.Buffers;
using System.Globalization;
using System.Text;

namespace ClaudeHooks.Security;

/// <summary>
/// Makes text that a sandbox wrote inert where operators read it: no terminal control sequences (ESC, CSI, OSC
/// and every other C0/C1 control but tab and newline) and no way to start a field of its own in an SSE frame.
/// </summary>
internal static class TerminalText
{
    private const int MaxEventTypeLength = 100;

    private static readonly SearchValues<char> Terminal = SearchValues.Create(Controls(keep: "\t\n"));
    private static readonly SearchValues<char> Sse = SearchValues.Create(Controls(keep: "\t"));
    private static readonly SearchValues<char> TypeCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.:-");

    /// <summary>For a terminal: each control but tab and newline is shown as <c>\xNN</c> (CR too, which could overwrite a line).</summary>
    public static string Neutralize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var first = text.AsSpan().IndexOfAny(Terminal);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (Terminal.Contains(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// For one SSE <c>data:</c> line: CR and LF become a space (in JSON they only separate tokens), every other
    /// control but tab becomes <c>\u00NN</c>, which is the same character again to a JSON reader and inert to anyone else.
    /// </summary>
    public static string SseData(string text)
    {
        var first = text.AsSpan().IndexOfAny(Sse);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                continue;
            }

            if (c is '\r' or '\n')
            {
                builder.Append(' ');
            }
            else if (Sse.Contains(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>An event type as a plain token (letters, digits, <c>/_.:-</c>; anything else becomes <c>_</c>), at most 100 characters.</summary>
    public static string EventType(string? type)
    {
        if (string.IsNullOrEmpty(type))
        {
            return "unknown";
        }

        if (type.Length <= MaxEventTypeLength && !type.AsSpan().ContainsAnyExcept(TypeCharacters))
        {
            return type;
        }

        var span = type.AsSpan(0, Math.Min(type.Length, MaxEventTypeLength));
        return string.Create(span.Length, type, (destination, source) =>
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = TypeCharacters.Contains(source[i]) ? source[i] : '_';
            }
        });
    }

    private static string Controls(string keep)
    {
        var controls = new StringBuilder();
        for (var c = '\0'; c <= '\u009f'; c++)
        {
            if ((c < ' ' || c >= '\u007f') && !keep.Contains(c, StringComparison.Ordinal))
            {
                controls.Append(c);
            }
        }

        return controls.ToString();
    }
}
