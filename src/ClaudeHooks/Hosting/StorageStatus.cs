using System.Globalization;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Hosting;

/// <summary>The data directory's disk and what the database takes of it (the file and its write-ahead log).</summary>
internal sealed record StorageStatus(string DataDirectory, long FreeBytes, long TotalBytes, long MinFreeBytes, long DatabaseBytes, long WalBytes)
{
    /// <summary>Enough free space left for the database to take new work.</summary>
    public bool DiskOk => FreeBytes >= MinFreeBytes;

    /// <summary>Why new work is refused, with the fix; null while the disk has room.</summary>
    public string? Refusal => DiskOk ? null
        : $"the data directory {DataDirectory} has {Readable(FreeBytes)} free, below service.min_free_disk ({Readable(MinFreeBytes)}); free space on its disk (old task events go with service.event_retention), move the database with --data-dir, or lower service.min_free_disk";

    /// <summary>Measures <paramref name="dataDirectory"/> without creating anything; a folder not made yet is measured on its nearest existing parent.</summary>
    public static StorageStatus Measure(string dataDirectory, long minFreeBytes)
    {
        var full = Path.GetFullPath(dataDirectory);
        var existing = full;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        // On Linux a DriveInfo of any path is the statvfs of the file system holding it.
        var drive = new DriveInfo(existing);
        var file = Path.Combine(full, Database.FileName);
        return new StorageStatus(full, drive.AvailableFreeSpace, drive.TotalSize, minFreeBytes, SizeOf(file), SizeOf(file + "-wal"));
    }

    /// <summary>A size for people: "812.4 MiB".</summary>
    public static string Readable(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        var value = (double)bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    private static long SizeOf(string path)
    {
        try
        {
            return File.Exists(path) ? new FileInfo(path).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
