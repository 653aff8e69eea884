namespace ClaudeHooks.Security;

/// <summary>How the console log is written (<c>service.log_format</c>); every format is redacted alike.</summary>
internal enum LogFormat
{
    /// <summary>The time, a short level, category and message on one line.</summary>
    Simple,

    /// <summary>One JSON object per line, with the message's named values as fields.</summary>
    Json,

    /// <summary>The journal's <c>&lt;N&gt;</c> syslog priority, then category and message; journald adds the time.</summary>
    Systemd,
}
