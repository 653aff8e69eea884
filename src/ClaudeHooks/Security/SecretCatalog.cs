using System.Diagnostics;
using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Config;

namespace ClaudeHooks.Security;

/// <summary>
/// Every credential the service knows, read from its files on the host: each agent's forge token and model
/// credential (for a credentials directory, the OAuth access and refresh tokens in its <c>.credentials.json</c>),
/// the API token and the webhook secrets. A missing or unreadable file holds no secret. The files are looked at
/// again at most every <see cref="RecheckInterval"/>, and read again when one's modification time or size has
/// changed, so a rotated credential is known without a restart.
/// </summary>
internal sealed class SecretCatalog(Func<IReadOnlyList<SecretSource>> sources)
{
    /// <summary>Shorter values are not treated as secrets: they would mark ordinary words.</summary>
    public const int MinSecretLength = 8;

    private const long MaxFileBytes = 1024 * 1024;

    private readonly Lazy<IReadOnlyList<SecretSource>> _sources = new(sources);
    private readonly Lock _gate = new();
    private SecretSnapshot _current = SecretSnapshot.Empty;
    private FileStamp[]? _stamps;
    private long _checkedAt;

    /// <summary>A catalog that knows no credential (only the well-known token formats are then matched).</summary>
    public static SecretCatalog None { get; } = new(() => []);

    /// <summary>How long a look at the files stays good; 0 looks at every use.</summary>
    public TimeSpan RecheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    public static SecretCatalog For(AgentsConfig config, ClaudeHooksPaths paths) => new(() => Sources(config, paths));

    /// <summary>Where the service's credentials live, named as a redaction marker names them.</summary>
    public static IReadOnlyList<SecretSource> Sources(AgentsConfig config, ClaudeHooksPaths paths)
    {
        var sources = new List<SecretSource>();
        foreach (var agent in config.Agents)
        {
            sources.Add(new SecretSource($"{agent.Name} forge token", paths.TokenFile(agent.Name), SecretFileFormat.Text));
            sources.Add(agent.ClaudeAuth.Kind switch
            {
                ClaudeAuthKind.ApiKeyFile => new SecretSource($"{agent.Name} api key", agent.ClaudeAuth.Path, SecretFileFormat.Text),
                ClaudeAuthKind.OAuthTokenFile => new SecretSource($"{agent.Name} oauth token", agent.ClaudeAuth.Path, SecretFileFormat.Text),
                _ => new SecretSource($"{agent.Name} oauth", Path.Combine(agent.ClaudeAuth.Path, ".credentials.json"), SecretFileFormat.ClaudeCredentials),
            });
        }

        sources.Add(new SecretSource("api token", ApiToken.FilePath(paths), SecretFileFormat.Text));
        sources.Add(new SecretSource("dashboard link key", Dashboard.SignedLinks.FilePath(paths), SecretFileFormat.Text));
        foreach (var repository in config.Forge?.Repositories ?? [])
        {
            sources.Add(new SecretSource($"{repository.FullName} webhook secret", repository.WebhookSecretFile, SecretFileFormat.Text));
        }

        return sources;
    }

    /// <summary>The secrets as of now; the same instance (and version) until a file changes.</summary>
    public SecretSnapshot Current
    {
        get
        {
            var checkedAt = Volatile.Read(ref _checkedAt);
            if (checkedAt != 0 && Stopwatch.GetElapsedTime(checkedAt) < RecheckInterval)
            {
                return Volatile.Read(ref _current);
            }

            lock (_gate)
            {
                var sources = _sources.Value;
                var stamps = sources.Select(s => FileStamp.Of(s.Path)).ToArray();
                if (_stamps is null || !stamps.SequenceEqual(_stamps))
                {
                    Volatile.Write(ref _current, new SecretSnapshot(_current.Version + 1, Read(sources)));
                    _stamps = stamps;
                }

                Volatile.Write(ref _checkedAt, Stopwatch.GetTimestamp());
                return _current;
            }
        }
    }

    private static List<KnownSecret> Read(IReadOnlyList<SecretSource> sources)
    {
        var secrets = new List<KnownSecret>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (var secret in Read(source))
            {
                if (secret.Value.Length >= MinSecretLength && seen.Add(secret.Value))
                {
                    secrets.Add(secret);
                }
            }
        }

        return secrets;
    }

    private static IEnumerable<KnownSecret> Read(SecretSource source)
    {
        string text;
        try
        {
            var file = new FileInfo(source.Path);
            if (!file.Exists || file.Length > MaxFileBytes)
            {
                return [];
            }

            text = File.ReadAllText(source.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        if (source.Format == SecretFileFormat.Text)
        {
            return text.Split('\n').Select(line => new KnownSecret(source.Kind, line.Trim())).ToList();
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (!document.RootElement.TryGetProperty("claudeAiOauth", out var oauth) || oauth.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            var found = new List<KnownSecret>();
            foreach (var (property, name) in new[] { ("accessToken", "access token"), ("refreshToken", "refresh token") })
            {
                if (oauth.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    found.Add(new KnownSecret($"{source.Kind} {name}", value.GetString()!.Trim()));
                }
            }

            return found;
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private readonly record struct FileStamp(bool Exists, long Length, long WrittenTicks)
    {
        public static FileStamp Of(string path)
        {
            try
            {
                var file = new FileInfo(path);
                return file.Exists ? new FileStamp(true, file.Length, file.LastWriteTimeUtc.Ticks) : default;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return default;
            }
        }
    }
}

/// <summary>A file holding credentials, and the kind its secrets are reported as.</summary>
internal sealed record SecretSource(string Kind, string Path, SecretFileFormat Format);

internal enum SecretFileFormat
{
    /// <summary>One secret per line (normally just one line).</summary>
    Text,

    /// <summary>Claude Code's <c>.credentials.json</c>: <c>claudeAiOauth.accessToken</c> and <c>refreshToken</c>.</summary>
    ClaudeCredentials,
}

/// <summary>A credential's value and what it is, as the marker that replaces it names it.</summary>
internal sealed record KnownSecret(string Kind, string Value);

/// <summary>The secrets known at one moment; <see cref="Version"/> changes whenever they do.</summary>
internal sealed record SecretSnapshot(long Version, IReadOnlyList<KnownSecret> Secrets)
{
    public static SecretSnapshot Empty { get; } = new(0, []);
}
