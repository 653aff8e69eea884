namespace ClaudeHooks.Persistence;

/// <summary>
/// The database was migrated by a newer claude-hooks than this one: running on it could misread or damage what that
/// build wrote, so nothing opens it. The message names the data directory, both versions and the fix.
/// </summary>
internal sealed class SchemaTooNewException(string dataDirectory, int databaseVersion, int buildVersion)
    : Exception($"the database in {dataDirectory} has schema version {databaseVersion}, newer than this claude-hooks knows "
        + $"(version {buildVersion}); run the newer claude-hooks that migrated it, or stop the service and restore a backup "
        + $"made with 'claude-hooks db backup' before the upgrade (see README, Storage)")
{
    public string DataDirectory { get; } = dataDirectory;

    public int DatabaseVersion { get; } = databaseVersion;

    public int BuildVersion { get; } = buildVersion;
}
