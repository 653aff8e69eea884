using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ClaudeHooks.Security;

/// <summary>
/// The service's console log: one line per entry (exception included), every credential replaced by a marker and
/// every control character made visible, so no log line can carry a secret or forge another line. The line is
/// written in the <see cref="LogFormat"/> chosen: simple (time and a short level), systemd (the journal's priority
/// and no timestamp) or json (one object per line, the message's named values as fields, each redacted).
/// </summary>
internal sealed class RedactingConsoleFormatter(SecretRedactor redactor, LogFormat format, TimeProvider? clock = null) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "claude-hooks";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public LogFormat Format => format;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        if (format == LogFormat.Json)
        {
            WriteJson(logEntry, message ?? "", textWriter);
            return;
        }

        var text = logEntry.Exception is null ? message! : $"{message} {logEntry.Exception}";
        var prefix = format == LogFormat.Systemd
            ? $"<{Priority(logEntry.LogLevel)}>"
            : $"{_clock.GetLocalNow():HH:mm:ss} {Level(logEntry.LogLevel)}: ";
        textWriter.Write($"{prefix}{logEntry.Category}[{logEntry.EventId.Id}] {Clean(text)}{Environment.NewLine}");
    }

    private void WriteJson<TState>(in LogEntry<TState> logEntry, string message, TextWriter textWriter)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("time", _clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", Level(logEntry.LogLevel));
            json.WriteString("category", logEntry.Category);
            json.WriteNumber("event_id", logEntry.EventId.Id);
            json.WriteString("message", Clean(message));
            if (logEntry.Exception is { } exception)
            {
                json.WriteString("exception", Clean(exception.ToString()));
            }

            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                json.WriteStartObject("fields");
                foreach (var (key, value) in values)
                {
                    // The template itself is in the message; a named value is written once, under its own name.
                    if (key == "{OriginalFormat}")
                    {
                        continue;
                    }

                    switch (value)
                    {
                        case null:
                            json.WriteNull(key);
                            break;
                        case bool b:
                            json.WriteBoolean(key, b);
                            break;
                        case int or long or short or byte or uint or ulong or double or float or decimal:
                            json.WriteNumber(key, Convert.ToDecimal(value, System.Globalization.CultureInfo.InvariantCulture));
                            break;
                        default:
                            json.WriteString(key, Clean(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
                            break;
                    }
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        textWriter.Write(Environment.NewLine);
    }

    private string Clean(string text) => TerminalText.Neutralize(redactor.Redact(text).Text.ReplaceLineEndings(" "));

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    /// <summary>syslog priorities, as the journal reads them from a <c>&lt;N&gt;</c> prefix.</summary>
    private static int Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        _ => 2,
    };
}
