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

    public static CacheNames Load(ClaudeHooksPaths paths) =>
        new(KeyFile.LoadOrCreate(paths, FilePath(paths), "the key that names repository caches (any random text; 'claude-hooks' creates it)"));

    public string PathFor(string agent, RepositoryUrl repository) =>
        $"/state/cache/{Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{agent}\n{repository.Key}")))[..32]}.git";
}
