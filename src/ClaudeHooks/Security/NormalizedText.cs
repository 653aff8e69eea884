using System.Buffers;
using System.Globalization;

namespace ClaudeHooks.Security;

/// <summary>
/// The copy of a text that <see cref="SecretRedactor"/> searches: no whitespace and no JSON <c>\n \r \t</c>
/// escapes, other JSON escapes decoded, percent-escape hex digits upper-cased; each character remembers the range
/// of the original it came from, so a match found in the copy replaces exactly that range.
/// </summary>
internal sealed class NormalizedText : IDisposable
{
    private static readonly SearchValues<char> Special = SearchValues.Create(" \t\r\n\\%");

    private readonly string _source;
    private char[]? _chars;
    private int[]? _starts;
    private int[]? _ends;

    private NormalizedText(string source)
    {
        _source = source;
        Length = source.Length;
    }

    public int Length { get; private set; }

    public ReadOnlySpan<char> Span => _chars is null ? _source.AsSpan() : _chars.AsSpan(0, Length);

    public static NormalizedText Of(string text)
    {
        var normalized = new NormalizedText(text);
        if (text.AsSpan().IndexOfAny(Special) >= 0)
        {
            normalized.Build();
        }

        return normalized;
    }

    /// <summary>Where the original text of character <paramref name="index"/> starts.</summary>
    public int SourceStart(int index) => _starts is null ? index : _starts[index];

    /// <summary>Where the original text of character <paramref name="index"/> ends (exclusive).</summary>
    public int SourceEnd(int index) => _ends is null ? index + 1 : _ends[index];

    public override string ToString() => new(Span);

    public void Dispose()
    {
        if (_chars is not null)
        {
            ArrayPool<char>.Shared.Return(_chars);
            ArrayPool<int>.Shared.Return(_starts!);
            ArrayPool<int>.Shared.Return(_ends!);
            _chars = null;
            _starts = _ends = null;
        }
    }

    private void Build()
    {
        var text = _source;
        var chars = ArrayPool<char>.Shared.Rent(text.Length);
        var starts = ArrayPool<int>.Shared.Rent(text.Length);
        var ends = ArrayPool<int>.Shared.Rent(text.Length);
        var length = 0;
        void Emit(char c, int start, int end)
        {
            chars[length] = c;
            starts[length] = start;
            ends[length++] = end;
        }

        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                i++;
            }
            else if (c == '\\' && i + 1 < text.Length)
            {
                var next = text[i + 1];
                if (next is 'n' or 'r' or 't')
                {
                    i += 2;
                }
                else if (next is '\\' or '"' or '/')
                {
                    Emit(next, i, i + 2);
                    i += 2;
                }
                else if (next == 'u' && i + 6 <= text.Length && ushort.TryParse(text.AsSpan(i + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                {
                    if ((char)code is not (' ' or '\t' or '\r' or '\n'))
                    {
                        Emit((char)code, i, i + 6);
                    }

                    i += 6;
                }
                else
                {
                    Emit(c, i, i + 1);
                    i++;
                }
            }
            else if (c == '%' && i + 2 < text.Length && char.IsAsciiHexDigit(text[i + 1]) && char.IsAsciiHexDigit(text[i + 2]))
            {
                Emit('%', i, i + 1);
                Emit(char.ToUpperInvariant(text[i + 1]), i + 1, i + 2);
                Emit(char.ToUpperInvariant(text[i + 2]), i + 2, i + 3);
                i += 3;
            }
            else
            {
                Emit(c, i, i + 1);
                i++;
            }
        }

        (_chars, _starts, _ends, Length) = (chars, starts, ends, length);
    }
}
