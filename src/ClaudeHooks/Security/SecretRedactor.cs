using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Security;

/// <summary>
/// Replaces every credential of the <see cref="SecretCatalog"/> in a text, raw or encoded, and every string in a
/// well-known token format, by a marker naming its kind (<c>[redacted: dev forge token]</c>).
/// </summary>
/// <remarks>
/// The text is scanned once as a normalized copy that keeps a map back to the original: whitespace and the JSON
/// escapes <c>\n \r \t</c> are dropped (base64 wrapped across lines, in a file or inside a JSON string, becomes one
/// run), other JSON escapes (<c>\uXXXX</c>, <c>\"</c>, <c>\\</c>, <c>\/</c>) are decoded, and the hex digits of
/// percent escapes are upper-cased. Against that copy one multi-string search looks for each secret's forms: raw;
/// base64 standard and URL-safe, padded or not, and the part that any base64 containing the secret holds at each of
/// the three byte alignments; percent-encoded (every byte, or only what <c>Uri.EscapeDataString</c> escapes);
/// hex, lower and upper case. The patterns are built once per catalog version. The token formats are matched in
/// the original text; a bare 40-hex string (a commit id) is never one of them.
/// </remarks>
internal sealed partial class SecretRedactor(SecretCatalog catalog)
{
    /// <summary>Encoded forms shorter than this are left out: they could match text that merely resembles them.</summary>
    private const int MinEncodedLength = 10;

    private Patterns? _patterns;

    /// <summary>Knows no credential, only the well-known token formats.</summary>
    public static SecretRedactor FormatsOnly { get; } = new(SecretCatalog.None);

    public static string Marker(string kind) => $"[redacted: {kind}]";

    public Redaction Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return new Redaction(text ?? "", []);
        }

        var found = new List<Hit>();
        CurrentPatterns().Find(text, found);
        for (var match = TokenFormat().Match(text); match.Success; match = match.NextMatch())
        {
            found.Add(new Hit(match.Index, match.Index + match.Length, FormatKind(match.ValueSpan), Known: false));
        }

        return found.Count == 0 ? new Redaction(text, []) : Replace(text, found);
    }

    private Patterns CurrentPatterns()
    {
        var snapshot = catalog.Current;
        var patterns = Volatile.Read(ref _patterns);
        if (patterns is null || patterns.Version != snapshot.Version)
        {
            patterns = new Patterns(snapshot);
            Volatile.Write(ref _patterns, patterns);
        }

        return patterns;
    }

    private static Redaction Replace(string text, List<Hit> hits)
    {
        // Earliest first; at the same start a known credential names the marker before a format, then the longest.
        hits.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Known != b.Known ? (a.Known ? -1 : 1) : b.End.CompareTo(a.End));
        var builder = new StringBuilder(text.Length);
        var kinds = new List<string>();
        var position = 0;
        var index = 0;
        while (index < hits.Count)
        {
            var (start, end, kind, _) = hits[index++];
            while (index < hits.Count && hits[index].Start < end)
            {
                end = Math.Max(end, hits[index++].End);
            }

            builder.Append(text, position, start - position).Append(Marker(kind));
            position = end;
            if (!kinds.Contains(kind))
            {
                kinds.Add(kind);
            }
        }

        builder.Append(text, position, text.Length - position);
        return new Redaction(builder.ToString(), kinds);
    }

    private static string FormatKind(ReadOnlySpan<char> match) => match switch
    {
        _ when match.StartsWith("gh") || match.StartsWith("github_pat_") => "github token format",
        _ when match.StartsWith("glpat-") => "gitlab token format",
        _ when match.StartsWith("sk-ant-") => "anthropic key format",
        _ when match.StartsWith("xox") => "slack token format",
        _ when match.StartsWith("-----") => "private key block",
        _ => "aws access key format",
    };

    /// <summary>
    /// GitHub (<c>ghp_ gho_ ghu_ ghs_ ghr_ github_pat_</c>), GitLab (<c>glpat-</c>), Anthropic (<c>sk-ant-</c>), Slack
    /// (<c>xoxa- xoxb- xoxp- xoxo- xoxs- xoxr-</c>), AWS access key ids (<c>AKIA</c>/<c>ASIA</c> and 16 more) and PEM
    /// private key blocks (to their END line or, cut off, through their base64 lines). A token may follow a
    /// JSON <c>\n</c> escape; otherwise it must not continue a word.
    /// </summary>
    [GeneratedRegex("""
        (?:(?<![A-Za-z0-9_])|(?<=\\[nrt]))(?:gh[pousr]_[A-Za-z0-9]{30,251}|github_pat_[A-Za-z0-9_]{22,255})
        |(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))(?:glpat-[A-Za-z0-9_-]{20,}|sk-ant-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,})
        |(?:(?<![A-Za-z0-9+/])|(?<=\\[nrt]))(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])
        |-----BEGIN[A-Z0-9 ]{0,40}PRIVATE\ KEY-----(?:(?:[^"\\]|\\.){0,65536}?-----END[A-Z0-9 ]{0,40}PRIVATE\ KEY-----|(?:(?:\s|\\[nrt])*[A-Za-z0-9+/=]{16,})*)
        """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex TokenFormat();

    private readonly record struct Hit(int Start, int End, string Kind, bool Known);

    /// <summary>The forms of one catalog version's secrets, and one search for all of them.</summary>
    private sealed class Patterns
    {
        private readonly SearchValues<string>? _any;
        private readonly Dictionary<char, (string Pattern, string Kind)[]> _byFirst = [];

        public Patterns(SecretSnapshot snapshot)
        {
            Version = snapshot.Version;
            var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var secret in snapshot.Secrets)
            {
                foreach (var form in Forms(secret.Value))
                {
                    using var normalized = NormalizedText.Of(form);
                    if (normalized.Length > 0)
                    {
                        kinds.TryAdd(normalized.ToString(), secret.Kind);
                    }
                }
            }

            if (kinds.Count == 0)
            {
                return;
            }

            _any = SearchValues.Create([.. kinds.Keys], StringComparison.Ordinal);
            foreach (var group in kinds.GroupBy(p => p.Key[0]))
            {
                _byFirst[group.Key] = [.. group.OrderByDescending(p => p.Key.Length).Select(p => (p.Key, p.Value))];
            }
        }

        public long Version { get; }

        public void Find(string text, List<Hit> hits)
        {
            if (_any is null)
            {
                return;
            }

            using var normalized = NormalizedText.Of(text);
            var span = normalized.Span;
            var position = 0;
            while (position < span.Length)
            {
                var relative = span[position..].IndexOfAny(_any);
                if (relative < 0)
                {
                    break;
                }

                var at = position + relative;
                foreach (var (pattern, kind) in _byFirst[span[at]])
                {
                    if (span[at..].StartsWith(pattern, StringComparison.Ordinal))
                    {
                        hits.Add(new Hit(normalized.SourceStart(at), normalized.SourceEnd(at + pattern.Length - 1), kind, Known: true));
                        break;
                    }
                }

                position = at + 1;
            }
        }

        private static IEnumerable<string> Forms(string secret)
        {
            yield return secret;
            var bytes = Encoding.UTF8.GetBytes(secret);
            var encoded = new List<string>();
            foreach (var base64 in Base64Forms(bytes))
            {
                encoded.Add(base64);
                encoded.Add(base64.Replace('+', '-').Replace('/', '_'));
            }

            encoded.Add(Uri.EscapeDataString(secret));
            encoded.Add(PercentEncode(bytes, keep: "-._~!'()*"));
            encoded.Add(PercentEncode(bytes, keep: null));
            encoded.Add(Convert.ToHexStringLower(bytes));
            encoded.Add(Convert.ToHexString(bytes));
            foreach (var form in encoded)
            {
                if (form.Length >= MinEncodedLength)
                {
                    yield return form;
                }
            }
        }

        /// <summary>
        /// The whole encoding, padded and not, and for each alignment of the secret in a longer base64 text the run
        /// of characters that depends on the secret's bytes alone.
        /// </summary>
        private static IEnumerable<string> Base64Forms(byte[] bytes)
        {
            var whole = Convert.ToBase64String(bytes);
            yield return whole;
            yield return whole.TrimEnd('=');
            for (var before = 0; before < 3; before++)
            {
                var shifted = new byte[before + bytes.Length];
                bytes.CopyTo(shifted, before);
                var text = Convert.ToBase64String(shifted).TrimEnd('=');
                var total = shifted.Length;
                var end = (total / 3 * 4) + (total % 3);
                var start = before == 0 ? 0 : before + 1;
                if (end > start)
                {
                    yield return text[start..end];
                }
            }
        }

        /// <summary>Every byte as <c>%XX</c> but letters, digits and <paramref name="keep"/>; with no <paramref name="keep"/>, every byte.</summary>
        private static string PercentEncode(byte[] bytes, string? keep)
        {
            var builder = new StringBuilder(bytes.Length * 3);
            foreach (var b in bytes)
            {
                if (keep is not null && b < 0x80 && (char.IsAsciiLetterOrDigit((char)b) || keep.Contains((char)b, StringComparison.Ordinal)))
                {
                    builder.Append((char)b);
                }
                else
                {
                    builder.Append('%').Append(Convert.ToHexString([b]));
                }
            }

            return builder.ToString();
        }
    }
}

/// <summary>A text with its secrets replaced, and the kinds that were (empty when nothing was).</summary>
internal readonly record struct Redaction(string Text, IReadOnlyList<string> Kinds)
{
    public bool Changed => Kinds.Count > 0;
}
