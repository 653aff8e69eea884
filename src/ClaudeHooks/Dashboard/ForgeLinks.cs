using ClaudeHooks.Config;

namespace ClaudeHooks.Dashboard;

/// <summary>Links to the forge, built only from the configured repository's web address (never from payload text), and only over http(s).</summary>
internal static class ForgeLinks
{
    public static string? Web(ForgeRepository? repository, string path)
    {
        if (repository is null || repository.ForgeUrl.Scheme is not ("http" or "https"))
        {
            return null;
        }

        return $"{repository.ForgeUrl.ToString().TrimEnd('/')}/{repository.FullName}/{path}";
    }
}
