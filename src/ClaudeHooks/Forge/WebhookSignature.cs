using System.Security.Cryptography;
using System.Text;

namespace ClaudeHooks.Forge;

/// <summary>HMAC-SHA256 over the raw body, hex, as Forgejo and Gitea send it; compared in constant time.</summary>
internal static class WebhookSignature
{
    private static readonly string[] Headers = ["X-Forgejo-Signature", "X-Gitea-Signature", "X-Gogs-Signature"];

    /// <summary>The signature a request carries, or null when it has none (a hook without a secret sends an empty one).</summary>
    public static string? From(IHeaderDictionary headers)
    {
        foreach (var name in Headers)
        {
            if (headers.TryGetValue(name, out var value) && value.ToString().Trim().Length > 0)
            {
                return value.ToString().Trim();
            }
        }

        return FromGitHub(headers);
    }

    /// <summary>GitHub's <c>X-Hub-Signature-256: sha256=&lt;hex&gt;</c>, or null (GitHub's SHA-1 <c>X-Hub-Signature</c> is never taken).</summary>
    public static string? FromGitHub(IHeaderDictionary headers)
    {
        var hub = headers["X-Hub-Signature-256"].ToString().Trim();
        return hub.StartsWith("sha256=", StringComparison.Ordinal) && hub.Length > 7 ? hub[7..] : null;
    }

    public static bool Verify(byte[] body, string secret, string? signature)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(signature))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body), given);
    }

    public static string Sign(byte[] body, string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
