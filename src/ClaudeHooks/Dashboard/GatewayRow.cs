using System.Globalization;

namespace ClaudeHooks.Dashboard;

/// <summary>One request a sandbox sent out through the gateway, as the gateway page lists it.</summary>
public sealed record GatewayRow(
    long Id,
    DateTimeOffset Time,
    string? TaskId,
    string Agent,
    string Route,
    string Method,
    string Host,
    string Path,
    int Status,
    string Decision,
    string Rule,
    long BytesOut,
    long BytesIn,
    long DurationMs)
{
    public bool Denied => Decision == "denied";

    /// <summary>A byte count for a reader: 512 B, 1.5 KB, 2.0 MB.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.#} GB"),
    };
}
