using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Console;

namespace ClaudeHooks.Security;

/// <summary>Console logging through <see cref="RedactingConsoleFormatter"/>, for the service and for the one-shot verbs alike.</summary>
internal static class RedactedLogging
{
    /// <summary>The format when the config names none: the journal's under systemd, else simple.</summary>
    public static LogFormat DefaultFormat => SystemdHelpers.IsSystemdService() ? LogFormat.Systemd : LogFormat.Simple;

    public static ILoggingBuilder AddRedactedConsole(this ILoggingBuilder builder, SecretRedactor redactor) =>
        builder.AddRedactedConsole(redactor, DefaultFormat);

    /// <remarks>
    /// <c>UseSystemd</c> sets the console's formatter to the built-in systemd one, which redacts nothing; the choice
    /// here is a post-configuration, so it wins whichever of the two is called first, and a formatter name from
    /// <c>Logging:Console</c> settings cannot bypass redaction either.
    /// </remarks>
    public static ILoggingBuilder AddRedactedConsole(this ILoggingBuilder builder, SecretRedactor redactor, LogFormat format)
    {
        builder.AddConsole();
        builder.Services.AddSingleton<ConsoleFormatter>(new RedactingConsoleFormatter(redactor, format));
        builder.Services.PostConfigure<ConsoleLoggerOptions>(options => options.FormatterName = RedactingConsoleFormatter.FormatterName);
        return builder;
    }
}
