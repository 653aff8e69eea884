namespace ClaudeHooks.Persistence;

/// <summary>A backup that could not be made; the message says why and what to do, and no file was left behind.</summary>
internal sealed class DatabaseBackupException(string message) : Exception(message);
