using System.Security.Cryptography;

namespace ClaudeHooks.TestServers;

/// <summary>A GitHub App registered on <see cref="FakeGitHub"/>: its id, slug, installation on the repository, and key pair.</summary>
public sealed class GitHubApp(long id, string slug, long installationId, RSA key)
{
    public long Id { get; } = id;

    public string Slug { get; } = slug;

    public long InstallationId { get; } = installationId;

    /// <summary>The account the App acts as in webhooks and <c>user</c> fields.</summary>
    public string BotLogin => $"{Slug}[bot]";

    internal RSA Key { get; } = key;

    /// <summary>The private key as GitHub hands it out (PKCS#1 PEM), to write where the service reads it.</summary>
    public string PrivateKeyPem => Key.ExportRSAPrivateKeyPem();

    /// <summary>An App JWT signed with the App's key (RS256), for tests of the App endpoints; claims as given.</summary>
    public string Jwt(DateTimeOffset issuedAt, DateTimeOffset expiresAt, string? issuer = null, RSA? signer = null)
    {
        static string Part(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = Part("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"u8.ToArray());
        var payload = Part(System.Text.Encoding.UTF8.GetBytes($"{{\"iat\":{issuedAt.ToUnixTimeSeconds()},\"exp\":{expiresAt.ToUnixTimeSeconds()},\"iss\":\"{issuer ?? Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}\"}}"));
        var signature = (signer ?? Key).SignData(System.Text.Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Part(signature)}";
    }
}
