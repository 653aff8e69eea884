using System.Buffers;
using System.Globalization;
using System.Text;

namespace ClaudeHooks.Security;

/// <summary>
/// Makes text that a sandbox wrote inert where operators read it: no terminal control sequences (ESC, CSI, OSC
/// and every other C0/C1 control but tab and newline), no character that reorders or hides the text around it
/// (bidirectional controls, zero-width and line-separator characters, lone surrogates), and no way to start a field
/// of its own in an SSE frame. <see cref="IsUnsafe"/> is the one list of those characters every output uses.
/// </summary>
internal static class TerminalText
{
    private const int MaxEventTypeLength = 100;

    private static readonly SearchValues<char> Terminal = SearchValues.Create(Unsafe(keep: "\t\n"));
    private static readonly SearchValues<char> Sse = SearchValues.Create(Unsafe(keep: "\t"));
    private static readonly SearchValues<char> Json = SearchValues.Create(Unsafe(keep: "\n"));
    private static readonly SearchValues<char> All = SearchValues.Create(Unsafe(keep: ""));
    private static readonly SearchValues<char> TypeCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.:-");

    /// <summary>
    /// Whether a terminal acts on the character or it changes how the text around it reads: C0 and C1 controls and
    /// DEL; the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A–E, U+2066–9) that
    /// can show <c>exe.txt</c> for <c>txt.exe</c>; zero-width characters (U+200B–D, U+FEFF) that hide text in plain
    /// sight; the line and paragraph separators (U+2028/9); and surrogates, of which only a pair is kept, as a pair.
    /// </summary>
    public static bool IsUnsafe(char c) =>
        c < ' ' || c is >= '\u007f' and <= '\u009f'
        || c is '\u061c' or (>= '\u200b' and <= '\u200f') or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') or '\u2028' or '\u2029' or '\ufeff'
        || char.IsSurrogate(c);

    /// <summary>
    /// For a terminal: each unsafe character but tab and newline is shown as <c>\xNN</c> (CR too, which could
    /// overwrite a line), or <c>\uNNNN</c> past U+00FF.
    /// </summary>
    public static string Neutralize(string? text) =>
        string.IsNullOrEmpty(text)
            ? text ?? ""
            : Escape(text, Terminal, static (builder, c) => builder.Append(c <= '\u00ff' ? "\\x" : "\\u").Append(((int)c).ToString(c <= '\u00ff' ? "X2" : "X4", CultureInfo.InvariantCulture)));

    /// <summary>
    /// For one SSE <c>data:</c> line: CR and LF become a space (in JSON they only separate tokens), every other
    /// unsafe character but tab becomes <c>\uNNNN</c>, which is the same character again to a JSON reader and inert to anyone else.
    /// </summary>
    public static string SseData(string text) =>
        Escape(text.Contains("\r\n", StringComparison.Ordinal) ? text.Replace("\r\n", "\n", StringComparison.Ordinal) : text, Sse, static (builder, c) =>
        {
            if (c is '\r' or '\n')
            {
                builder.Append(' ');
            }
            else
            {
                JsonEscape(builder, c);
            }
        });

    /// <summary>
    /// For JSON text: each unsafe character but newline becomes its <c>\uNNNN</c> escape. Outside strings JSON text
    /// is ASCII punctuation and whitespace, so every such character is inside a string, where the escape means the same.
    /// </summary>
    public static string JsonText(string json) => Escape(json, Json, JsonEscape);

    /// <summary>Each unsafe character, tab and newline too, replaced by <paramref name="mask"/>: for a field shown on one line of a table.</summary>
    public static string Masked(string text, char mask) => Escape(text, All, (builder, _) => builder.Append(mask));

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

    private static void JsonEscape(StringBuilder builder, char c) => builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");

    /// <summary>The text with each character of <paramref name="unsafe"/> written by <paramref name="escape"/>, but a surrogate pair kept whole.</summary>
    private static string Escape(string text, SearchValues<char> @unsafe, Action<StringBuilder, char> escape)
    {
        var first = text.AsSpan().IndexOfAny(@unsafe);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!@unsafe.Contains(c))
            {
                builder.Append(c);
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                escape(builder, c);
            }
        }

        return builder.ToString();
    }

    private static string Unsafe(string keep)
    {
        var characters = new StringBuilder();
        for (var c = '\0'; c < char.MaxValue; c++)
        {
            if (IsUnsafe(c) && !keep.Contains(c, StringComparison.Ordinal))
            {
                characters.Append(c);
            }
        }

        return characters.ToString();
    }
}
