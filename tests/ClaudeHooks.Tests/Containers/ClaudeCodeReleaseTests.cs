using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClaudeHooks.Containers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ClaudeHooks.Tests.Containers;

/// <summary>
/// <c>images build --claude-code-version</c>'s registry lookup against a registry on loopback that answers npm's
/// version documents: both platforms' sha512 in hex, and each way the answer can be unusable.
/// </summary>
public sealed class ClaudeCodeReleaseTests
{
    // The published integrity of 2.1.330 and the hex the base Dockerfile pins for it.
    private const string Amd64Integrity = "sha512-9Gn+V7DtJ8M1nztP9CeDVl9g3RtrepI7rOFTyPRRnZe8D6zebIHKmC7OvBauucuAP0X0k85SDN/LPVZyjsGezQ==";
    private const string Amd64Hex = "f469fe57b0ed27c3359f3b4ff42783565f60dd1b6b7a923bace153c8f4519d97bc0facde6c81ca982ecebc16aeb9cb803f45f493ce520cdfcb3d56728ec19ecd";
    private const string Arm64Integrity = "sha512-V4yanAY5EA5UpwwRPtjSfqDbNqAlUJeVn3NYZw2AgmRHjdpSsLtHAzbxRXfkAnbjwTXzE0uedjQxUY02ARPcsA==";
    private const string Arm64Hex = "578c9a9c0639100e54a70c113ed8d27ea0db36a0255097959f7358670d808264478dda52b0bb470336f14577e40276e3c135f3134b9e763431518d360113dcb0";

    [Fact]
    public async Task Fetch_PublishedVersion_GivesBothPlatformsSha512InHexAsBuildArgs()
    {
        await using var registry = await Registry.StartAsync(path => path switch
        {
            "/@anthropic-ai/claude-code-linux-x64/2.1.330" => (200, VersionDocument("linux-x64", "x64", "2.1.330", $"\"integrity\": \"{Amd64Integrity}\",")),
            "/@anthropic-ai/claude-code-linux-arm64/2.1.330" => (200, VersionDocument("linux-arm64", "arm64", "2.1.330", $"\"integrity\": \"{Arm64Integrity}\",")),
            _ => (404, "{\"error\":\"Not found\"}"),
        });

        var release = await FetchAsync(registry.Url, "2.1.330");

        Assert.Equal(new ClaudeCodeRelease("2.1.330", Amd64Hex, Arm64Hex), release);
        Assert.Equal("2.1.330", release.BuildArgs["CLAUDE_CODE_VERSION"]);
        Assert.Equal(Amd64Hex, release.BuildArgs["CLAUDE_CODE_SHA512_AMD64"]);
        Assert.Equal(Arm64Hex, release.BuildArgs["CLAUDE_CODE_SHA512_ARM64"]);
        Assert.Equal(["/@anthropic-ai/claude-code-linux-x64/2.1.330", "/@anthropic-ai/claude-code-linux-arm64/2.1.330"], registry.Paths);
    }

    [Fact]
    public async Task Fetch_RegistryUnderAPath_AsksBelowIt()
    {
        await using var registry = await Registry.StartAsync(path => path switch
        {
            "/npm/@anthropic-ai/claude-code-linux-x64/2.1.330" => (200, VersionDocument("linux-x64", "x64", "2.1.330", $"\"integrity\": \"{Amd64Integrity}\",")),
            "/npm/@anthropic-ai/claude-code-linux-arm64/2.1.330" => (200, VersionDocument("linux-arm64", "arm64", "2.1.330", $"\"integrity\": \"{Arm64Integrity}\",")),
            _ => (404, "{}"),
        });

        var release = await FetchAsync(new Uri(registry.Url, "/npm"), "2.1.330");

        Assert.Equal(new ClaudeCodeRelease("2.1.330", Amd64Hex, Arm64Hex), release);
    }

    [Fact]
    public async Task Fetch_UnknownVersion_IsNoSuchVersion()
    {
        await using var registry = await Registry.StartAsync(_ => (404, "\"version not found: 9.9.9\""));

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => FetchAsync(registry.Url, "9.9.9"));

        Assert.Contains("Claude Code 9.9.9: no such version of @anthropic-ai/claude-code-linux-x64", error.Message, StringComparison.Ordinal);
        Assert.Contains("npm view @anthropic-ai/claude-code versions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_MissingIntegrity_IsAnError()
    {
        await using var registry = await Registry.StartAsync(_ => (200, VersionDocument("linux-x64", "x64", "2.1.330", "")));

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => FetchAsync(registry.Url, "2.1.330"));

        Assert.Contains("/@anthropic-ai/claude-code-linux-x64/2.1.330: the version document has no dist.integrity", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sha1-LPGijPaqEWT8lNRoCQBl24VH+m0=", "holds no sha512 hash")]
    [InlineData("sha512-9Gn+V7DtJ8M1nztP9CeDVl9g3Rtrep==", "is not a sha512 hash (64 bytes in base64)")]
    [InlineData("sha512-not base64 at all!", "is not a sha512 hash (64 bytes in base64)")]
    public async Task Fetch_WrongIntegrity_IsAnError(string integrity, string expected)
    {
        await using var registry = await Registry.StartAsync(_ => (200, VersionDocument("linux-x64", "x64", "2.1.330", $"\"integrity\": \"{integrity}\",")));

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => FetchAsync(registry.Url, "2.1.330"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_AnotherVersionInTheAnswer_IsAnError()
    {
        await using var registry = await Registry.StartAsync(_ => (200, VersionDocument("linux-x64", "x64", "2.1.331", $"\"integrity\": \"{Amd64Integrity}\",")));

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => FetchAsync(registry.Url, "2.1.330"));

        Assert.Contains("the registry answered version 2.1.331, not 2.1.330", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_ServerError_NamesTheAnswer()
    {
        await using var registry = await Registry.StartAsync(_ => (503, "busy"));

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => FetchAsync(registry.Url, "2.1.330"));

        Assert.Contains("answered 503", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.1")]
    [InlineData("latest")]
    [InlineData("^2.1.330")]
    [InlineData("2.1.330-beta.1")]
    public async Task Fetch_InexactVersion_IsRefusedBeforeAnyRequest(string version)
    {
        await using var registry = await Registry.StartAsync(_ => (200, "{}"));

        var error = await Assert.ThrowsAsync<ContainerOperationException>(() => FetchAsync(registry.Url, version));

        Assert.Contains("is not an exact version", error.Message, StringComparison.Ordinal);
        Assert.Empty(registry.Paths);
    }

    [Fact]
    public async Task Handler_TrustsTheExtraCaBundle_AndWithoutItRefusesTheServer()
    {
        using var ca = CertificateAuthority();
        using var server = Issue(ca);
        await using var registry = await Registry.StartAsync(path => (200, VersionDocument("linux-x64", "x64", "2.1.330", $"\"integrity\": \"{Amd64Integrity}\",")), server);
        var bundle = System.Text.Encoding.ASCII.GetBytes(ca.ExportCertificatePem() + "\n");

        var trusted = await FetchAsync(registry.Url, "2.1.330", bundle);
        var refused = await Assert.ThrowsAsync<ContainerOperationException>(() => FetchAsync(registry.Url, "2.1.330", []));

        Assert.Equal(Amd64Hex, trusted.Sha512Amd64);
        Assert.Contains("cannot read https://127.0.0.1:", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--ca-bundle", refused.Message, StringComparison.Ordinal);
    }

    private static async Task<ClaudeCodeRelease> FetchAsync(Uri registry, string version, byte[]? bundle = null)
    {
        var handler = ClaudeCodeRelease.CreateHandler(bundle ?? []);
        handler.UseProxy = false;
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        return await ClaudeCodeRelease.FetchAsync(http, registry, version, CancellationToken.None);
    }

    /// <summary>A version document as registry.npmjs.org serves it (GET /&lt;package&gt;/&lt;version&gt;), <paramref name="integrity"/> being its dist.integrity member or nothing.</summary>
    private static string VersionDocument(string platform, string cpu, string version, string integrity) => $$"""
        {
          "name": "@anthropic-ai/claude-code-{{platform}}",
          "version": "{{version}}",
          "description": "Native binary for Claude Code on {{platform}}",
          "license": "SEE LICENSE IN LICENSE.md",
          "os": ["linux"],
          "cpu": ["{{cpu}}"],
          "libc": ["glibc"],
          "files": ["claude", "README.md", "LICENSE.md"],
          "_id": "@anthropic-ai/claude-code-{{platform}}@{{version}}",
          "_nodeVersion": "22.14.0",
          "_npmVersion": "10.9.2",
          "dist": {
            {{integrity}}
            "shasum": "2cf1a28cf6aa1164fc94d468090065db8547fa6d",
            "tarball": "https://registry.npmjs.org/@anthropic-ai/claude-code-{{platform}}/-/claude-code-{{platform}}-{{version}}.tgz",
            "fileCount": 3,
            "unpackedSize": 223842310,
            "signatures": [{ "keyid": "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U", "sig": "MEUCIQDx" }]
          },
          "_npmUser": { "name": "anthropic-npm", "email": "npm@example.org" },
          "directories": {},
          "maintainers": [{ "name": "anthropic-npm", "email": "npm@example.org" }],
          "_hasShrinkwrap": false
        }
        """;

    private static X509Certificate2 CertificateAuthority()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=claude-hooks test proxy CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        // Kestrel on Linux wants a key it can use for TLS: a PKCS#12 round trip gives one.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>An npm registry on 127.0.0.1 whose answer to each path a test gives; records the paths asked for.</summary>
    private sealed class Registry : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _paths = new();

        private Registry(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;

        public IReadOnlyList<string> Paths => [.. _paths];

        public static async Task<Registry> StartAsync(Func<string, (int Status, string Body)> answer, X509Certificate2? certificate = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            if (certificate is not null)
            {
                builder.WebHost.UseKestrelHttpsConfiguration();
            }

            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            }));
            var app = builder.Build();
            var registry = new Registry(app);
            app.Run(async context =>
            {
                var path = context.Request.Path.Value ?? "";
                registry._paths.Enqueue(path);
                var (status, body) = answer(path);
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(body);
            });
            await app.StartAsync();
            var address = app.Urls.First();
            registry.Url = new Uri(address.EndsWith('/') ? address : address + "/");
            return registry;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
