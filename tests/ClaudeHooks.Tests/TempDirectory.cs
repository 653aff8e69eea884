namespace ClaudeHooks.Tests;

/// <summary>A fresh directory per test, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("claude-hooks-test-").FullName;
    }

    public string Path { get; }

    public string Write(string relative, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        File.SetUnixFileMode(full, mode);
        return full;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
