using System.Security.Cryptography;
using System.Text;
using ClaudeHooks.Config;

namespace ClaudeHooks.Workdir;

/// <summary>
/// Where a repository's cache lives on the agent's state volume: <c>/state/cache/&lt;name&gt;.git</c>, the name a keyed
/// hash of agent and repository. Sandboxes mount the whole volume read-only, but <c>/state/cache</c> cannot be
/// listed by the agent's uid (mode 0711), so a task reaches only the cache whose name the service gave it, never
/// another repository's. The key is <c>$CLAUDE_HOOKS_HOME/cache-key</c> (0600, created on first use).
/// </summary>
internal sealed class CacheNames
{
    private readonly byte[] _key;

    private CacheNames(byte[] key) => _key = key;

    public static string FilePath(ClaudeHooksPaths paths) => Path.Combine(paths.Home, "cache-key");

    public static CacheNames Load(ClaudeHooksPaths paths)
    {
        var file = FilePath(paths);
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(paths.Home);
            try
            {
                using var stream = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                stream.Write(Encoding.UTF8.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n"));
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process made it first.
            }
        }

        return new CacheNames(Encoding.UTF8.GetBytes(Containers.AgentCredentials.ReadSecretFile(file, "the key that names repository caches (any random text; 'claude-hooks' creates it)")));
    }

    public string PathFor(string agent, RepositoryUrl repository) =>
        $"/state/cache/{Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{agent}\n{repository.Key}")))[..32]}.git";
}
