using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Tests.Containers;

/// <summary>The operator's CA bundle as image builds and sandboxes get it: certificates only, re-encoded.</summary>
public sealed class CaBundleTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void ReadCaBundle_KeepsOnlyTheCertificates_NotTheTextAroundThem()
    {
        var pem = NewCertificatePem("CN=Test Proxy CA");
        var file = _folder.Write("proxy.crt", $"# proxy CA, ask ops; token=ghp_{new string('a', 36)}\n{pem}\nmore notes\n");

        var bundle = System.Text.Encoding.ASCII.GetString(ImageBuilder.ReadCaBundle(file));

        Assert.Equal(pem.Trim(), bundle.Trim());
        Assert.DoesNotContain("ghp_", bundle, StringComparison.Ordinal);
        Assert.DoesNotContain("notes", bundle, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadCaBundle_FolderOfCertificates_JoinsThemInOrder_AndRefusesKeysAndGarbage()
    {
        var first = NewCertificatePem("CN=A");
        var second = NewCertificatePem("CN=B");
        _folder.Write("ca/b.pem", second);
        _folder.Write("ca/a.crt", first);
        _folder.Write("ca/readme.txt", "not read");

        var bundle = System.Text.Encoding.ASCII.GetString(ImageBuilder.ReadCaBundle(Path.Combine(_folder.Path, "ca")));
        Assert.Equal($"{first.Trim()}\n{second.Trim()}", bundle.Trim());

        var key = _folder.Write("key.pem", first + "\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        Assert.Contains("holds a private key", Assert.Throws<ContainerOperationException>(() => ImageBuilder.ReadCaBundle(key)).Message, StringComparison.Ordinal);
        var broken = _folder.Write("broken.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        Assert.Contains("cannot be read", Assert.Throws<ContainerOperationException>(() => ImageBuilder.ReadCaBundle(broken)).Message, StringComparison.Ordinal);
    }

    private static string NewCertificatePem(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return certificate.ExportCertificatePem();
    }
}
