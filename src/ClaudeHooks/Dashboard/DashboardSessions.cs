using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ClaudeHooks.Api;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// Signed-in browsers. The cookie holds 32 random bytes; the database holds only their SHA-256, the expiry and the
/// digest of the API token signed in with, so a copied database opens no session and a rotated token ends them all.
/// </summary>
internal sealed class DashboardSessions(Database database, ApiToken token, TimeProvider clock)
{
    public const string CookieName = "claude_hooks_session";

    /// <summary>Opens a session for <paramref name="ttl"/>; returns the cookie's value.</summary>
    public async Task<string> OpenAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM dashboard_sessions WHERE expires_at <= $now;
            INSERT INTO dashboard_sessions (id_hash, token_hash, created_at, expires_at) VALUES ($id, $token, $now, $expires);
            """;
        command.Parameters.AddWithValue("$id", Digest(value));
        command.Parameters.AddWithValue("$token", token.Fingerprint);
        command.Parameters.AddWithValue("$now", Format(now));
        command.Parameters.AddWithValue("$expires", Format(now + ttl));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return value;
    }

    /// <summary>The session of <paramref name="cookie"/> while it is open, unexpired and opened with today's API token.</summary>
    public async Task<DashboardSession?> FindAsync(string? cookie, CancellationToken cancellationToken)
    {
        if (cookie is not { Length: 64 } || !cookie.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id_hash, expires_at FROM dashboard_sessions WHERE id_hash = $id AND token_hash = $token AND expires_at > $now";
        command.Parameters.AddWithValue("$id", Digest(cookie));
        command.Parameters.AddWithValue("$token", token.Fingerprint);
        command.Parameters.AddWithValue("$now", Format(clock.GetUtcNow()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new DashboardSession(reader.GetString(0), DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
            : null;
    }

    public async Task CloseAsync(string cookie, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM dashboard_sessions WHERE id_hash = $id";
        command.Parameters.AddWithValue("$id", Digest(cookie));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Digest(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static string Format(DateTimeOffset at) => Tasks.SqliteTaskStore.Format(at);
}

/// <summary>An open dashboard session: the digest that names it, and when it ends.</summary>
internal sealed record DashboardSession(string IdHash, DateTimeOffset ExpiresAt);
