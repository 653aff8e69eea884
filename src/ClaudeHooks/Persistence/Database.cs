using Microsoft.Data.Sqlite;

namespace ClaudeHooks.Persistence;

/// <summary>
/// The embedded SQLite database: WAL, <c>synchronous=FULL</c> (a committed task survives power loss) and a busy
/// timeout so concurrent writers wait instead of failing.
/// </summary>
internal sealed class Database
{
    public const string FileName = "claude-hooks.db";

    private readonly string _connectionString;

    public Database(string dataDirectory)
    {
        Config.OwnerOnly.CreateDirectory(dataDirectory);
        DataDirectory = dataDirectory;
        FilePath = Path.Combine(dataDirectory, FileName);

        // SQLite would make the file 0644 less the umask, and it gives -wal and -shm the main file's mode: made
        // empty and 0600 here (an empty file is an empty database), all three are the owner's alone.
        Config.OwnerOnly.CreateEmptyFile(FilePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The folder given with <c>--data-dir</c> (or the default); named in errors about the database.</summary>
    public string DataDirectory { get; }

    public string FilePath { get; }

    /// <summary>~/.local/share/claude-hooks, or $XDG_DATA_HOME/claude-hooks.</summary>
    public static string DefaultDataDirectory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            var root = string.IsNullOrWhiteSpace(xdg) ? Path.Combine(Config.ClaudeHooksPaths.UserHome, ".local", "share") : xdg;
            return Path.Combine(root, "claude-hooks");
        }
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Opens the database and applies pending migrations; call before any worker starts.</summary>
    public static async Task<Database> OpenAndMigrateAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        var database = new Database(dataDirectory);
        await Migrator.ApplyAsync(database, cancellationToken);
        return database;
    }
}
