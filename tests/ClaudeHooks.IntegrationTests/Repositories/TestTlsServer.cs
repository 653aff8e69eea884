using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// An HTTPS server on <c>127.0.0.3</c> whose certificate is issued by a CA made here, for this run only: no trust store
/// anywhere (the host's extra CAs included) holds it, so only a sandbox told to trust <see cref="CaPem"/> accepts the
/// server. Sandboxes reach it through the gateway's CONNECT.
/// </summary>
public sealed class TestTlsServer : IAsyncDisposable
{
    public const string Address = "127.0.0.3";

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;

    private TestTlsServer(WebApplication app, X509Certificate2 certificate, int port, string caPem, string body)
    {
        _app = app;
        _certificate = certificate;
        Port = port;
        CaPem = caPem;
        Body = body;
    }

    public int Port { get; }

    public string Url => $"https://{Address}:{Port}/";

    /// <summary>The allowlist entry that lets a sandbox reach the server.</summary>
    public string Rule => $"{Address}:{Port}";

    /// <summary>The issuing CA's certificate (no key), as an operator's <c>images.extra_ca_bundle</c> would hold it.</summary>
    public string CaPem { get; }

    /// <summary>What the server answers, so a client that got through is told apart from one that did not.</summary>
    public string Body { get; }

    public static async Task<TestTlsServer> StartAsync(string body)
    {
        var now = DateTimeOffset.UtcNow;
        var name = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=claude-hooks test CA {name}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest($"CN={Address}", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Parse(Address));
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(serverKey);
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

        var port = TestServers.ScriptedModelServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(Address), port, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        app.Map("/{**path}", (HttpContext context) => context.Response.WriteAsync(body));
        await app.StartAsync();
        return new TestTlsServer(app, certificate, port, ca.ExportCertificatePem() + "\n", body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
    }
}
