using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ClaudeHooks.Config;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// Read-only links for people without the API token (the tracking comment's "Follow along"): the page's resource and
/// an expiry, signed with HMAC-SHA256 under <c>$CLAUDE_HOOKS_HOME/link-key</c> (created 0600 on first start).
/// Deleting the key file and restarting the service revokes every link given out.
/// </summary>
internal sealed class SignedLinks
{
    private readonly byte[] _key;

    public SignedLinks(byte[] key)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("a link key has at least 32 bytes", nameof(key));
        }

        _key = key;
    }

    public static string FilePath(ClaudeHooksPaths paths) => Path.Combine(paths.Home, "link-key");

    public static SignedLinks LoadOrCreate(ClaudeHooksPaths paths) =>
        new(KeyFile.LoadOrCreate(paths, FilePath(paths), "the dashboard's link key (any random text; 'claude-hooks serve' creates it)"));

    /// <summary>The path and query of the read-only page of <paramref name="resource"/> (such as <c>task/ID</c>), valid until <paramref name="until"/>.</summary>
    public string PathFor(string resource, DateTimeOffset until)
    {
        var seconds = until.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{DashboardPaths.Shared}/{resource}?until={seconds}&sig={Signature(resource, seconds)}";
    }

    /// <summary>Whether <paramref name="signature"/> signs <paramref name="resource"/> until <paramref name="until"/>, and that time has not passed.</summary>
    public LinkCheck Check(string resource, string? until, string? signature, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(until) || string.IsNullOrEmpty(signature) || !long.TryParse(until, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return LinkCheck.Invalid;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(resource, until));
        var presented = Encoding.ASCII.GetBytes(signature);
        if (expected.Length != presented.Length || !CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            return LinkCheck.Invalid;
        }

        return now.ToUnixTimeSeconds() < seconds ? LinkCheck.Valid : LinkCheck.Expired;
    }

    private string Signature(string resource, string until) =>
        Base64Url(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"claude-hooks link\n{resource}\n{until}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

internal enum LinkCheck
{
    Invalid,
    Expired,
    Valid,
}
