using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Containers;

/// <summary>
/// One version of the Claude Code CLI's native builds as the npm registry publishes them
/// (<c>@anthropic-ai/claude-code-linux-x64</c> and <c>-linux-arm64</c>): the version and each tarball's sha512 in hex,
/// which the base Dockerfile checks the download against (its <c>CLAUDE_CODE_*</c> build args).
/// </summary>
internal sealed partial record ClaudeCodeRelease(string Version, string Sha512Amd64, string Sha512Arm64)
{
    public static readonly Uri DefaultRegistry = new("https://registry.npmjs.org");

    /// <summary>The base Dockerfile's build args for this version.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["CLAUDE_CODE_VERSION"] = Version,
        ["CLAUDE_CODE_SHA512_AMD64"] = Sha512Amd64,
        ["CLAUDE_CODE_SHA512_ARM64"] = Sha512Arm64,
    };

    /// <summary>An exact release version such as 2.1.330: no range, tag or prerelease.</summary>
    public static bool IsExactVersion(string version) => ExactVersion().IsMatch(version);

    /// <summary>Reads both platforms' version documents from <paramref name="registry"/>.</summary>
    public static async Task<ClaudeCodeRelease> FetchAsync(HttpClient http, Uri registry, string version, CancellationToken cancellationToken)
    {
        if (!IsExactVersion(version))
        {
            throw new ContainerOperationException($"Claude Code version \"{version}\" is not an exact version; pass one such as 2.1.330");
        }

        var amd64 = await FetchSha512Async(http, registry, "linux-x64", version, cancellationToken);
        var arm64 = await FetchSha512Async(http, registry, "linux-arm64", version, cancellationToken);
        return new ClaudeCodeRelease(version, amd64, arm64);
    }

    /// <summary>
    /// An HTTP handler that trusts the system's CAs and also those in <paramref name="extraCaPem"/> (the operator's
    /// bundle, for a TLS-intercepting proxy); proxies from the environment apply as usual.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(byte[] extraCaPem)
    {
        var extra = new X509Certificate2Collection();
        if (extraCaPem.Length > 0)
        {
            extra.ImportFromPem(System.Text.Encoding.UTF8.GetString(extraCaPem));
        }

        return new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                    errors == SslPolicyErrors.None
                    || (errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && extra.Count > 0 && TrustedByExtra(certificate, chain, extra)),
            },
        };
    }

    /// <summary>The hex sha512 of a Subresource Integrity string's <c>sha512-</c> part (npm's <c>dist.integrity</c>).</summary>
    public static string IntegrityToHex(string integrity, string where)
    {
        var sha512 = integrity.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(p => p.StartsWith("sha512-", StringComparison.Ordinal))
            ?? throw new ContainerOperationException($"{where}: dist.integrity \"{integrity}\" holds no sha512 hash; the registry must publish sha512-<base64> for the tarball");
        var text = sha512["sha512-".Length..];
        var bytes = new byte[64];
        if (!Convert.TryFromBase64String(text, bytes, out var written) || written != 64)
        {
            throw new ContainerOperationException($"{where}: dist.integrity \"{integrity}\" is not a sha512 hash (64 bytes in base64); the registry answered a damaged document");
        }

        return Convert.ToHexStringLower(bytes);
    }

    private static async Task<string> FetchSha512Async(HttpClient http, Uri registry, string platform, string version, CancellationToken cancellationToken)
    {
        var package = $"@anthropic-ai/claude-code-{platform}";
        var url = new Uri($"{registry.ToString().TrimEnd('/')}/{package}/{version}");
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/json");
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ContainerOperationException($"cannot read {url}: {e.Message}; check --npm-registry, the proxy and the CA bundle (--ca-bundle)");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ContainerOperationException($"{url} did not answer within {http.Timeout.TotalSeconds:0} s; check --npm-registry and the proxy");
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new ContainerOperationException($"Claude Code {version}: no such version of {package} in {registry}; pick a published one (npm view @anthropic-ai/claude-code versions)");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new ContainerOperationException($"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}; check --npm-registry and the proxy");
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            }
            catch (JsonException e)
            {
                throw new ContainerOperationException($"{url}: the answer is not JSON ({e.Message}); is --npm-registry an npm registry?");
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new ContainerOperationException($"{url}: the answer is not a version document; is --npm-registry an npm registry?");
                }

                if (root.TryGetProperty("version", out var published) && published.ValueKind == JsonValueKind.String && published.GetString() != version)
                {
                    throw new ContainerOperationException($"{url}: the registry answered version {published.GetString()}, not {version}");
                }

                if (!root.TryGetProperty("dist", out var dist) || dist.ValueKind != JsonValueKind.Object
                    || !dist.TryGetProperty("integrity", out var integrity) || integrity.ValueKind != JsonValueKind.String)
                {
                    throw new ContainerOperationException($"{url}: the version document has no dist.integrity, so the tarball cannot be checked; use a registry that publishes sha512 integrity");
                }

                return IntegrityToHex(integrity.GetString()!, url.ToString());
            }
        }
    }

    private static bool TrustedByExtra(X509Certificate certificate, X509Chain? presented, X509Certificate2Collection extra)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(extra);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    [GeneratedRegex(@"\A[0-9]+\.[0-9]+\.[0-9]+\z")]
    private static partial Regex ExactVersion();
}
