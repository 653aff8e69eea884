using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// A minimal npm registry on <c>127.0.0.2</c> (outside the sandboxes' NO_PROXY, so npm reaches it through the gateway's
/// proxy): one package's document at <c>/NAME</c> and its tarball, whose <c>dist.integrity</c> (sha512) and
/// <c>dist.shasum</c> (sha1) are those of the bytes served. Every request path is recorded.
/// </summary>
public sealed class FakeNpmRegistry : IAsyncDisposable
{
    public const string Address = "127.0.0.2";
    public const string PackageName = "claude-hooks-it-equal";
    public const string Version = "1.0.0";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _paths = new();
    private readonly byte[] _tarball;

    private FakeNpmRegistry(WebApplication app, int port, byte[] tarball)
    {
        _app = app;
        Port = port;
        _tarball = tarball;
    }

    public int Port { get; }

    /// <summary>What an <c>.npmrc</c>'s <c>registry=</c> names.</summary>
    public string Url => $"http://{Address}:{Port}/";

    /// <summary>The allowlist entry that lets a sandbox reach the registry.</summary>
    public string Rule => $"{Address}:{Port}";

    public string TarballPath => $"/{PackageName}/-/{PackageName}-{Version}.tgz";

    public string TarballUrl => $"http://{Address}:{Port}{TarballPath}";

    public string Integrity => "sha512-" + Convert.ToBase64String(SHA512.HashData(_tarball));

    public string Shasum => Convert.ToHexStringLower(SHA1.HashData(_tarball));

    public IReadOnlyList<string> RequestPaths => [.. _paths];

    public static async Task<FakeNpmRegistry> StartAsync()
    {
        var port = TestServers.ScriptedModelServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(Address), port));
        var app = builder.Build();
        var registry = new FakeNpmRegistry(app, port, Package());
        app.Map("/{**path}", registry.HandleAsync);
        await app.StartAsync();
        return registry;
    }

    /// <summary>A <c>package-lock.json</c> (lockfile v3) for a project that depends on the package, as <c>npm install</c> would write it.</summary>
    public string LockFile(string project) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["name"] = project,
        ["version"] = "1.0.0",
        ["lockfileVersion"] = 3,
        ["requires"] = true,
        ["packages"] = new Dictionary<string, object>
        {
            [""] = new Dictionary<string, object> { ["name"] = project, ["version"] = "1.0.0", ["dependencies"] = new Dictionary<string, string> { [PackageName] = Version } },
            [$"node_modules/{PackageName}"] = new Dictionary<string, object> { ["version"] = Version, ["resolved"] = TarballUrl, ["integrity"] = Integrity },
        },
    });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _paths.Enqueue(path);
        if (path == TarballPath)
        {
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(_tarball);
        }
        else if (path == $"/{PackageName}")
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["name"] = PackageName,
                ["dist-tags"] = new { latest = Version },
                ["versions"] = new Dictionary<string, object>
                {
                    [Version] = new { name = PackageName, version = Version, main = "index.js", dist = new { tarball = TarballUrl, shasum = Shasum, integrity = Integrity } },
                },
            }));
        }
        else
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"error":"not found"}""");
        }
    }

    /// <summary>The package's tarball: <c>package/package.json</c> and an <c>equal(actual, expected)</c> that throws on a mismatch.</summary>
    private static byte[] Package()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            void Add(string name, string content)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, $"package/{name}")
                {
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
                };
                tar.WriteEntry(entry);
            }

            Add("package.json", $$"""{ "name": "{{PackageName}}", "version": "{{Version}}", "main": "index.js", "license": "MIT" }""");
            Add("index.js", """
                const assert = require('node:assert');
                exports.equal = (actual, expected) => assert.strictEqual(actual, expected);
                """);
        }

        return output.ToArray();
    }
}
