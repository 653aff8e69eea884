using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Console;

namespace ClaudeHooks.Security;

/// <summary>Console logging through <see cref="RedactingConsoleFormatter"/>, for the service and for the one-shot verbs alike.</summary>
internal static class RedactedLogging
{
    /// <remarks>Call after <c>UseSystemd</c>: this formatter replaces the journal's own, and writes its priority prefix itself.</remarks>
    public static ILoggingBuilder AddRedactedConsole(this ILoggingBuilder builder, SecretRedactor redactor)
    {
        builder.AddConsole(options => options.FormatterName = RedactingConsoleFormatter.FormatterName);
        builder.Services.AddSingleton<ConsoleFormatter>(new RedactingConsoleFormatter(redactor, SystemdHelpers.IsSystemdService()));
        return builder;
    }
}
