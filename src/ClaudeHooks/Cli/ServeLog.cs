namespace ClaudeHooks.Cli;

/// <summary>What <c>serve</c> says once at start, in the service's own log.</summary>
internal static partial class ServeLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "config {File} (chosen by {Origin})")]
    public static partial void ConfigLoaded(ILogger logger, string file, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "made {Count} files and folders readable by their owner only (others could read them): {Paths}")]
    public static partial void ModesTightened(ILogger logger, int count, string paths);
}
