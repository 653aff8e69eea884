using ClaudeHooks.Config;

namespace ClaudeHooks.Containers;

/// <summary>
/// The operator's extra CA certificates, trusted inside sandboxes so that packages fetched at task time through the
/// gateway (npm, pip, curl) work behind a TLS-intercepting proxy. The service writes two files to a host folder that
/// every sandbox mounts read-only: the extra certificates alone (for Node's <c>NODE_EXTRA_CA_CERTS</c>) and the host's
/// trust store with them appended (for OpenSSL, pip and requests). Certificates only: no key is ever accepted.
/// </summary>
internal static class SandboxTrust
{
    public const string ContainerDirectory = "/run/claude-hooks/ca";
    public const string ExtraFile = "extra-ca.crt";
    public const string BundleFile = "ca-certificates.crt";

    private static readonly object Gate = new();

    /// <summary>Writes the folder's files when the config or host names extra CA certificates; returns whether sandboxes trust any.</summary>
    public static bool Prepare(AgentsConfig config)
    {
        var located = CaBundles.Locate(null, config.Images.ExtraCaBundle);
        lock (Gate)
        {
            var extraPath = Path.Combine(config.SandboxCaFolder, ExtraFile);
            if (located is null)
            {
                if (File.Exists(extraPath))
                {
                    File.Delete(extraPath);
                }

                return false;
            }

            var extra = ImageBuilder.ReadCaBundle(located.Value.Path);
            var system = File.Exists(CaBundles.SystemBundle) ? File.ReadAllBytes(CaBundles.SystemBundle) : [];
            Directory.CreateDirectory(config.SandboxCaFolder);
            File.SetUnixFileMode(config.SandboxCaFolder, (UnixFileMode)0b111_101_101);
            Write(extraPath, extra);
            Write(Path.Combine(config.SandboxCaFolder, BundleFile), [.. system, .. "\n"u8, .. extra]);
            return true;
        }
    }

    /// <summary>Whether sandboxes mount the folder (it was prepared with extra certificates).</summary>
    public static bool Enabled(AgentsConfig config) => File.Exists(Path.Combine(config.SandboxCaFolder, ExtraFile));

    /// <summary>The variables that point the usual TLS clients at the mounted files.</summary>
    public static IReadOnlyList<string> Environment { get; } =
    [
        $"NODE_EXTRA_CA_CERTS={ContainerDirectory}/{ExtraFile}",
        $"SSL_CERT_FILE={ContainerDirectory}/{BundleFile}",
        $"PIP_CERT={ContainerDirectory}/{BundleFile}",
        $"REQUESTS_CA_BUNDLE={ContainerDirectory}/{BundleFile}",
        $"CURL_CA_BUNDLE={ContainerDirectory}/{BundleFile}",
    ];

    private static void Write(string path, byte[] content)
    {
        var temporary = path + ".new";
        File.WriteAllBytes(temporary, content);
        File.SetUnixFileMode(temporary, (UnixFileMode)0b110_100_100);
        File.Move(temporary, path, overwrite: true);
    }
}
