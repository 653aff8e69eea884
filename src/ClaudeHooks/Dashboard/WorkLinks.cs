namespace ClaudeHooks.Dashboard;

/// <summary>Links to a repository's issues and pull requests on the forge, built from its configured web address only.</summary>
internal static class WorkLinks
{
    /// <summary>
    /// <c>{forge}/{owner}/{name}/issues/{n}</c> (or <c>pulls</c>); null unless the forge's address is absolute http or
    /// https, so a link never runs script or opens a local file whatever the configuration holds.
    /// </summary>
    public static string? Forge(Uri? forge, string repo, bool pull, long number)
    {
        if (forge is not { IsAbsoluteUri: true } || (forge.Scheme != Uri.UriSchemeHttp && forge.Scheme != Uri.UriSchemeHttps) || number < 1)
        {
            return null;
        }

        var segments = repo.Split('/');
        if (segments.Length != 2 || segments.Any(s => s.Length == 0))
        {
            return null;
        }

        var path = string.Join('/', segments.Select(Uri.EscapeDataString));
        return $"{forge.GetLeftPart(UriPartial.Path).TrimEnd('/')}/{path}/{(pull ? "pulls" : "issues")}/{number}";
    }
}
