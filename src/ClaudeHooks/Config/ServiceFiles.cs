namespace ClaudeHooks.Config;

/// <summary>What <c>serve</c> keeps on disk that no other user may read, and the fix for installs made before it was so.</summary>
internal static class ServiceFiles
{
    /// <summary>
    /// Creates the home and the data folder 0700 when they are missing (before the gateway or SQLite make them under
    /// the umask), and brings the home, the files the service made in it, the data folder and the database with its <c>-wal</c> and
    /// <c>-shm</c> to owner-only. SQLite gives <c>-wal</c> and <c>-shm</c> the main file's mode when it makes them,
    /// so a database created 0644 by an older build leaked its journal too. Secrets the operator writes
    /// (<c>tokens/</c>, <c>claude-auth/</c>) are not touched: a loose one is refused with the chmod to run.
    /// </summary>
    /// <returns>Each path changed, with its old and new mode.</returns>
    public static IReadOnlyList<string> Prepare(ClaudeHooksPaths paths, string dataDirectory)
    {
        OwnerOnly.CreateDirectory(paths.Home);
        OwnerOnly.CreateDirectory(dataDirectory);
        var database = Path.Combine(dataDirectory, Persistence.Database.FileName);
        string[] candidates =
        [
            paths.Home,
            Api.ApiToken.FilePath(paths),
            Workdir.CacheNames.FilePath(paths),
            Dashboard.SignedLinks.FilePath(paths),
            dataDirectory,
            database,
            database + "-wal",
            database + "-shm",
        ];
        return candidates.Select(OwnerOnly.Tighten).OfType<string>().ToList();
    }
}
