using System.Text.RegularExpressions;

namespace ClaudeHooks.Workdir;

/// <summary>
/// A validated repository location: https or http (what the gateway forwards), and local paths or file:// only
/// when the operator allows them; ssh forms are refused with the fix. Anything that could be read as a git option or escape the cache layout is refused.
/// </summary>
internal sealed partial record RepositoryUrl(string Url, string Host, IReadOnlyList<string> Owner, string Name)
{
    /// <summary>The repository's identity and checkout path parts: host/owner.../name.</summary>
    public string Key => string.Join('/', [Host, .. Owner, Name]);

    /// <summary>The repository's path on the gateway's git route: <c>/git/&lt;owner&gt;/&lt;name&gt;.git</c>.</summary>
    public string GatewayPath => $"/git/{string.Join('/', [.. Owner, Name])}.git";

    /// <summary>A thread's checkout inside its task's sandbox: the same path for the same thread, so sessions resume.</summary>
    public string CheckoutPath(string thread) => $"/work/{Key}/{thread}";

    /// <summary>The <c>host[:port]</c> git names when it asks a credential helper, as written in the URL; null for ssh and local remotes.</summary>
    public string? CredentialHost
    {
        get
        {
            var scheme = Url.IndexOf("://", StringComparison.Ordinal);
            if (scheme < 0 || !Url.StartsWith("http", StringComparison.Ordinal))
            {
                return null;
            }

            var authority = Url[(scheme + 3)..].Split('/')[0];
            return authority[(authority.LastIndexOf('@') + 1)..];
        }
    }

    public static RepositoryUrl Parse(string text, bool allowLocal)
    {
        var url = text.Trim();
        if (url.Length == 0 || url.Length > 2048)
        {
            throw Invalid(text, "give a repository URL such as https://forge.example/owner/repo.git");
        }

        if (url.StartsWith('-') || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw Invalid(text, "it starts with '-' or holds spaces or control characters; give a plain URL");
        }

        // Dot segments would be folded away by URL parsing (and again by the server), so refuse them as written.
        var unescaped = Uri.UnescapeDataString(url);
        if (unescaped.Split('/', '\\').Any(segment => segment is "." or "..") || unescaped.Contains('\\', StringComparison.Ordinal))
        {
            throw Invalid(text, "path segments '.' and '..' are not allowed");
        }

        if (url.StartsWith("file://", StringComparison.Ordinal) || url.StartsWith('/'))
        {
            if (!allowLocal)
            {
                throw Invalid(text, "local paths and file:// are refused; use an https or ssh URL, or set workdir.allow_local_repos in agents.json");
            }

            var path = url.StartsWith("file://", StringComparison.Ordinal) ? url["file://".Length..] : url;
            var segments = Segments(text, path);
            return new RepositoryUrl(url, "local", segments[..^1], StripGit(segments[^1]));
        }

        if (ScpLike().IsMatch(url) || url.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(text, "ssh remotes are not reachable: containers have no network and the gateway reaches repositories over http(s) only; use the repository's https URL");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            throw Invalid(text, "use https:// or http://");
        }

        if (uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            throw Invalid(text, "it carries a password; credentials never go in a URL (the agent's token file is used)");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw Invalid(text, "remove the query or fragment");
        }

        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}_{uri.Port}";
        return Build(text, url, host, Segments(text, Uri.UnescapeDataString(uri.AbsolutePath)));
    }

    private static RepositoryUrl Build(string original, string url, string host, string[] segments)
    {
        if (!HostPattern().IsMatch(host))
        {
            throw Invalid(original, $"\"{host}\" is not a host name");
        }

        if (segments.Length < 2)
        {
            throw Invalid(original, "the path must name an owner and a repository, as in owner/repo");
        }

        return new RepositoryUrl(url, host.ToLowerInvariant(), segments[..^1], StripGit(segments[^1]));
    }

    private static string[] Segments(string original, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var segment in segments)
        {
            if (segment is "." or ".." || !SegmentPattern().IsMatch(segment) || segment.StartsWith('-'))
            {
                throw Invalid(original, $"path segment \"{segment}\" is not allowed (no '..', leading '-' or special characters)");
            }
        }

        if (segments.Length == 0)
        {
            throw Invalid(original, "the path is empty");
        }

        return segments;
    }

    private static string StripGit(string name) => name.EndsWith(".git", StringComparison.Ordinal) && name.Length > 4 ? name[..^4] : name;

    private static InvalidRepositoryException Invalid(string text, string why) => new($"repository \"{text}\" is not usable: {why}");

    [GeneratedRegex(@"^(?<user>[A-Za-z0-9._-]+)@(?<host>[A-Za-z0-9.-]+):(?<path>[^/].*)$")]
    private static partial Regex ScpLike();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(_\d+)?$")]
    private static partial Regex HostPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._~+-]+$")]
    private static partial Regex SegmentPattern();
}

internal sealed class InvalidRepositoryException(string message) : Exception(message);
