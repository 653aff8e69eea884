namespace ClaudeHooks.Config;

/// <summary>
/// Files and folders only the service's user may open: secrets, the API token, keys, the database and its journal,
/// logs, backups. Their modes are given at creation, so a loose umask (or none, as under <c>umask 000</c>) never
/// widens them.
/// </summary>
internal static class OwnerOnly
{
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode GroupAndOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder and any missing parent 0700; one that exists keeps its mode (see <see cref="Tighten"/>).</summary>
    public static void CreateDirectory(string path)
    {
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; the parents it makes would get
        // 0777 less the umask. Made one at a time from the top, each is 0700.
        var missing = new Stack<string>();
        for (var folder = Path.GetFullPath(path); !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
        }

        while (missing.TryPop(out var folder))
        {
            Directory.CreateDirectory(folder, DirectoryMode);
        }
    }

    /// <summary>Creates an empty file 0600 unless one is there (made first by another process, say).</summary>
    public static void CreateEmptyFile(string path)
    {
        try
        {
            new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode }).Dispose();
        }
        catch (IOException) when (File.Exists(path))
        {
            // Already there: its mode is the caller's to check.
        }
    }

    /// <summary>Takes every group and other permission off an existing file or folder; says what it changed, or null.</summary>
    public static string? Tighten(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return null;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupAndOthers) == 0)
        {
            return null;
        }

        var tightened = mode & ~GroupAndOthers;
        File.SetUnixFileMode(path, tightened);
        return $"{path} ({Octal(mode)} -> {Octal(tightened)})";
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}
