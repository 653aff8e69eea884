namespace ClaudeHooks.Containers;

/// <summary>
/// Where the operator's extra CA certificates are (for a TLS-intercepting proxy): the command's <c>--ca-bundle</c>,
/// then <c>images.extra_ca_bundle</c>, then <c>$CLAUDE_HOOKS_EXTRA_CA_BUNDLE</c>, then the host's
/// <c>/usr/local/share/ca-certificates</c> when it holds certificates. Image builds trust them while downloading;
/// sandboxes trust them for packages fetched through the gateway at task time.
/// </summary>
internal static class CaBundles
{
    public const string Variable = "CLAUDE_HOOKS_EXTRA_CA_BUNDLE";

    public const string HostFolder = "/usr/local/share/ca-certificates";

    /// <summary>The bundle to use and where its path came from, or null when there is none.</summary>
    public static (string Path, string Source)? Locate(string? flag, string? configured, string hostFolder = HostFolder)
    {
        if (flag is not null)
        {
            return (flag, "--ca-bundle");
        }

        if (configured is not null)
        {
            return (configured, "images.extra_ca_bundle");
        }

        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } fromEnvironment)
        {
            return (fromEnvironment, "$" + Variable);
        }

        return Directory.Exists(hostFolder) && Directory.EnumerateFiles(hostFolder, "*.crt", SearchOption.AllDirectories).Any()
            ? (hostFolder, hostFolder)
            : null;
    }

    /// <summary>The host's own trust store, which a sandbox's full bundle starts from.</summary>
    public const string SystemBundle = "/etc/ssl/certs/ca-certificates.crt";
}
