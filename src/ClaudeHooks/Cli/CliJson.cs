using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ClaudeHooks.Cli;

/// <summary>
/// What <c>--json</c> prints: snake_case names like the task API's, non-ASCII and <c>&lt;&gt;&amp;'</c> as they are so
/// a person can read it too, and never a character a terminal would act on (C0 and C1 controls, DEL, bidirectional
/// controls, zero-width characters, line separators, lone surrogates: <see cref="Security.TerminalText.IsUnsafe"/>), each
/// written as its <c>\uXXXX</c> escape, which is the same character to a JSON reader.
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Compact = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };

    public static Option<bool> Option() => new("--json") { Description = "Print JSON instead of text (one object; a stream prints one object per line)" };

    /// <summary>The value as JSON text (one line unless <paramref name="indented"/>).</summary>
    public static string Serialize<T>(T value, bool indented = false) => Inert(JsonSerializer.Serialize(value, indented ? Indented : Compact));

    public static void Write<T>(T value, bool indented = false) => Console.WriteLine(Serialize(value, indented));

    /// <summary>Escapes what the relaxed encoder leaves raw but a terminal acts on, by the list every other output uses.</summary>
    internal static string Inert(string json) => Security.TerminalText.JsonText(json);
}
