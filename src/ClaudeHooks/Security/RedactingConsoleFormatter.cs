using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace ClaudeHooks.Security;

/// <summary>
/// The service's console log: one line per entry (exception included), every credential replaced by a marker and
/// every control character made visible, so no log line can carry a secret or forge another line. Under systemd
/// each line starts with the journal's priority and no timestamp; otherwise with the time and a short level.
/// </summary>
internal sealed class RedactingConsoleFormatter(SecretRedactor redactor, bool systemd) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "claude-hooks";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        var text = logEntry.Exception is null ? message! : $"{message} {logEntry.Exception}";
        text = TerminalText.Neutralize(redactor.Redact(text).Text.ReplaceLineEndings(" "));
        var prefix = systemd
            ? $"<{Priority(logEntry.LogLevel)}>"
            : $"{DateTimeOffset.Now:HH:mm:ss} {Level(logEntry.LogLevel)}: ";
        textWriter.Write($"{prefix}{logEntry.Category}[{logEntry.EventId.Id}] {text}{Environment.NewLine}");
    }

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
