using System.Security.Cryptography;
using System.Text;
using ClaudeHooks.Config;

namespace ClaudeHooks.Api;

/// <summary>The bearer token of the task API: <c>$CLAUDE_HOOKS_HOME/api-token</c>, created 0600 on first start.</summary>
internal sealed class ApiToken
{
    private readonly byte[] _hash;

    // The value itself is not kept: what is not held cannot be printed or logged. It is only ever in its file.
    private ApiToken(string value)
    {
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(value));
    }

    /// <summary>The token's SHA-256 in hex: what a dashboard session records of the token it was opened with.</summary>
    public string Fingerprint => Convert.ToHexStringLower(_hash);

    public static string FilePath(ClaudeHooksPaths paths) => Path.Combine(paths.Home, "api-token");

    /// <summary>Reads the token, or creates one; <paramref name="created"/> tells the caller to say where it is.</summary>
    public static ApiToken LoadOrCreate(ClaudeHooksPaths paths, out bool created)
    {
        var file = FilePath(paths);
        created = !File.Exists(file);
        if (created)
        {
            OwnerOnly.CreateDirectory(paths.Home);
            File.SetUnixFileMode(paths.Home, OwnerOnly.DirectoryMode);
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            using var stream = new FileStream(file, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = OwnerOnly.FileMode,
            });
            stream.Write(Encoding.UTF8.GetBytes(token + "\n"));
        }

        return new ApiToken(Containers.AgentCredentials.ReadSecretFile(file, "the API token"));
    }

    public static string Read(ClaudeHooksPaths paths) => Containers.AgentCredentials.ReadSecretFile(FilePath(paths), "the API token (created by 'claude-hooks serve' on first start)");

    /// <summary>Constant-time comparison (of fixed-length digests, so the length leaks nothing either).</summary>
    public bool Matches(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(candidate)));
}
