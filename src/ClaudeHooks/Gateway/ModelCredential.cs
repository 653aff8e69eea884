using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Gateway;

/// <summary>
/// The agent's real model credential, read from its host file at each request (so a rotated or refreshed file is
/// used at once), and the stand-in of the same kind its Claude Code holds instead.
/// </summary>
internal static class ModelCredential
{
    /// <summary>What a sandbox's CLI holds in place of a credential: of the right kind, worth nothing anywhere.</summary>
    public const string Placeholder = "placeholder-the-claude-hooks-gateway-holds-the-credential";

    /// <summary>The header that carries the credential upstream and its value.</summary>
    public static (string Header, string Value) Read(AgentConfig agent, TimeProvider time)
    {
        var auth = agent.ClaudeAuth;
        switch (auth.Kind)
        {
            case ClaudeAuthKind.ApiKeyFile:
                return ("x-api-key", AgentCredentials.ReadClaudeAuth(agent));
            case ClaudeAuthKind.OAuthTokenFile:
                return ("authorization", "Bearer " + AgentCredentials.ReadClaudeAuth(agent));
            default:
                return ("authorization", "Bearer " + ReadAccessToken(agent, time));
        }
    }

    /// <summary>The variable the CLI reads its credential from, set to the placeholder.</summary>
    public static string PlaceholderVariable(AgentConfig agent) =>
        agent.ClaudeAuth.Kind == ClaudeAuthKind.ApiKeyFile ? "ANTHROPIC_API_KEY" : "CLAUDE_CODE_OAUTH_TOKEN";

    /// <summary>
    /// The OAuth access token of a credentials directory (a host <c>claude</c> login keeps it fresh). An expired
    /// token fails the request with the fix; the refresh token never leaves this method.
    /// </summary>
    private static string ReadAccessToken(AgentConfig agent, TimeProvider time)
    {
        var file = Path.Combine(agent.ClaudeAuth.Path, ContainerSpecFactory.CredentialsFileName);
        var text = AgentCredentials.ReadSecretFile(file, $"the {agent.Name} agent's Claude login (.credentials.json from 'claude login')", singleLine: false);
        string? token;
        long? expires;
        try
        {
            using var document = JsonDocument.Parse(text);
            var oauth = document.RootElement.GetProperty("claudeAiOauth");
            token = oauth.TryGetProperty("accessToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            expires = oauth.TryGetProperty("expiresAt", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt64() : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CredentialException($"{file}: not a Claude credentials file (no claudeAiOauth.accessToken); run 'claude login' as the user that owns {agent.ClaudeAuth.Path}");
        }

        if (string.IsNullOrEmpty(token))
        {
            throw new CredentialException($"{file}: holds no claudeAiOauth.accessToken; run 'claude login' as the user that owns {agent.ClaudeAuth.Path}");
        }

        if (expires is { } at && DateTimeOffset.FromUnixTimeMilliseconds(at) <= time.GetUtcNow())
        {
            throw new CredentialException($"{file}: the OAuth access token expired at {DateTimeOffset.FromUnixTimeMilliseconds(at):u}; run 'claude' on the host as the user that owns it to refresh the login (the next request reads the new token)");
        }

        return token;
    }
}
