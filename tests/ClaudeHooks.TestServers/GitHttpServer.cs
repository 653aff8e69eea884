using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.TestServers;

/// <summary>
/// A real git remote over smart HTTP: requests go to <c>git http-backend</c> (CGI) serving bare repositories
/// under a temporary root. When a token is required, every request must carry HTTP Basic credentials whose
/// password is that token; the user names seen are recorded.
/// </summary>
public sealed class GitHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _users = new();
    private readonly ConcurrentQueue<string> _paths = new();

    private GitHttpServer(WebApplication app, string root, int port, string host)
    {
        _app = app;
        Root = root;
        Port = port;
        Host = host;
    }

    public string Root { get; }

    public int Port { get; }

    public string Host { get; }

    /// <summary>The token a client must present as its Basic password; null accepts anyone.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>
    /// Decides on each request's Basic credentials (user name, password) instead of <see cref="RequiredToken"/>, as a
    /// forge whose tokens come and go does (GitHub's <c>x-access-token:&lt;installation token&gt;</c>); null leaves
    /// <see cref="RequiredToken"/> in charge.
    /// </summary>
    public Func<string, string, bool>? CredentialValidator { get; set; }

    /// <summary>Raised with the request path after each push (a <c>git-receive-pack</c> POST) has been applied, as a forge's push hooks run.</summary>
    public event Action<string>? Pushed;

    public IReadOnlyList<string> AuthenticatedUsers => [.. _users];

    /// <summary>The path of every request, in order (a planted command that calls home shows up here).</summary>
    public IReadOnlyList<string> RequestPaths => [.. _paths];

    public int Unauthorized { get; private set; }

    public string Url(string owner, string name) => $"http://{Host}:{Port}/{owner}/{name}.git";

    /// <summary>A second loopback address the server also answers on: sandboxes may reach it through the gateway's proxy (the agents' egress allowlist names it), which is how a planted command calls home.</summary>
    public const string CallHomeAddress = "127.0.0.2";

    /// <summary>Where a planted command calls home: through the gateway's proxy, recorded under <c>/pwned/</c>.</summary>
    public string CallHome => $"http://{CallHomeAddress}:{Port}/pwned";

    /// <summary>The allowlist entry that lets sandboxes reach <see cref="CallHome"/>.</summary>
    public string CallHomeRule => $"{CallHomeAddress}:{Port}";

    public string BarePath(string owner, string name) => Path.Combine(Root, owner, name + ".git");

    public static async Task<GitHttpServer> StartAsync(string address)
    {
        var root = Directory.CreateTempSubdirectory("claude-hooks-git-").FullName;
        var port = ScriptedModelServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(address), port);
            if (address == "127.0.0.1")
            {
                k.Listen(IPAddress.Parse(CallHomeAddress), port);
            }
        });
        var app = builder.Build();
        var server = new GitHttpServer(app, root, port, address);
        app.Map("/{**path}", server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    /// <summary>Creates owner/name.git with one commit on <paramref name="branch"/> holding the given files.</summary>
    public async Task<string> CreateRepositoryAsync(string owner, string name, IReadOnlyDictionary<string, string> files, string branch = "main")
    {
        var bare = BarePath(owner, name);
        Directory.CreateDirectory(bare);
        await GitAsync(bare, "init", "-q", "--bare", $"--initial-branch={branch}");
        await GitAsync(bare, "config", "http.receivepack", "true");
        // As Forgejo does: it takes push options (repo.private, repo.template) from the repository's owner.
        await GitAsync(bare, "config", "receive.advertisePushOptions", "true");
        var seed = Directory.CreateTempSubdirectory("claude-hooks-seed-").FullName;
        try
        {
            await GitAsync(seed, "init", "-q", $"--initial-branch={branch}");
            foreach (var (path, content) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(seed, path))!);
                await File.WriteAllTextAsync(Path.Combine(seed, path), content);
            }

            await GitAsync(seed, "add", "-A");
            await GitAsync(seed, "-c", "user.name=seed", "-c", "user.email=seed@example.invalid", "commit", "-q", "-m", "initial commit");
            await GitAsync(seed, "push", "-q", bare, $"{branch}:{branch}");
        }
        finally
        {
            Directory.Delete(seed, recursive: true);
        }

        return Url(owner, name);
    }

    /// <summary>
    /// Commits <paramref name="files"/> on <paramref name="branch"/> of owner/name.git (a new branch starts at
    /// <paramref name="from"/>) and pushes it there, as someone pushing to the forge does; returns the new commit.
    /// </summary>
    public async Task<string> CommitAsync(string owner, string name, string branch, IReadOnlyDictionary<string, string> files, string message, string from = "main")
    {
        var bare = BarePath(owner, name);
        var work = Directory.CreateTempSubdirectory("claude-hooks-commit-").FullName;
        try
        {
            var exists = (await GitAsync(bare, "for-each-ref", "--format=%(refname)", $"refs/heads/{branch}")).Split('\n').Contains($"refs/heads/{branch}");
            await GitAsync(work, "clone", "-q", "--branch", exists ? branch : from, bare, ".");
            foreach (var (path, content) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(work, path))!);
                await File.WriteAllTextAsync(Path.Combine(work, path), content);
            }

            await GitAsync(work, "add", "-A");
            await GitAsync(work, "-c", $"user.name={owner}", "-c", $"user.email={owner}@example.invalid", "commit", "-q", "-m", message);
            await GitAsync(work, "push", "-q", "origin", $"HEAD:refs/heads/{branch}");
            return (await GitAsync(work, "rev-parse", "HEAD")).Trim();
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Runs git against a repository on the host (for assertions on the remote).</summary>
    public static async Task<string> GitAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {error}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    private async Task HandleAsync(HttpContext context)
    {
        _paths.Enqueue(context.Request.Path.Value ?? "/");
        string? user = null;
        var validator = CredentialValidator;
        if (validator is not null || RequiredToken is not null)
        {
            var token = RequiredToken;
            var header = context.Request.Headers.Authorization.ToString();
            var decoded = header.StartsWith("Basic ", StringComparison.Ordinal) ? Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])) : "";
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || (validator is not null ? !validator(decoded[..colon], decoded[(colon + 1)..]) : decoded[(colon + 1)..] != token))
            {
                Unauthorized++;
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
                return;
            }

            user = decoded[..colon];
            _users.Enqueue(user);
        }

        var start = new ProcessStartInfo("git", ["http-backend"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["GIT_PROJECT_ROOT"] = Root;
        start.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        start.Environment["PATH_INFO"] = context.Request.Path.Value ?? "/";
        start.Environment["QUERY_STRING"] = context.Request.QueryString.Value?.TrimStart('?') ?? "";
        start.Environment["REQUEST_METHOD"] = context.Request.Method;
        start.Environment["CONTENT_TYPE"] = context.Request.ContentType ?? "";
        start.Environment["REMOTE_USER"] = user ?? "anonymous";
        start.Environment["REMOTE_ADDR"] = context.Connection.RemoteIpAddress?.ToString() ?? "";
        start.Environment["HTTP_CONTENT_ENCODING"] = context.Request.Headers.ContentEncoding.ToString();
        start.Environment["HTTP_GIT_PROTOCOL"] = context.Request.Headers["Git-Protocol"].ToString();

        using var process = Process.Start(start)!;
        var input = context.Request.Body.CopyToAsync(process.StandardInput.BaseStream).ContinueWith(_ => process.StandardInput.Close(), TaskScheduler.Default);
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.BaseStream;

        // CGI response: headers, a blank line, then the body.
        var headerBytes = new List<byte>();
        while (true)
        {
            var next = output.ReadByte();
            if (next < 0)
            {
                break;
            }

            headerBytes.Add((byte)next);
            var count = headerBytes.Count;
            if ((count >= 2 && headerBytes[^1] == '\n' && headerBytes[^2] == '\n') || (count >= 4 && headerBytes[^1] == '\n' && headerBytes[^2] == '\r' && headerBytes[^3] == '\n' && headerBytes[^4] == '\r'))
            {
                break;
            }
        }

        foreach (var line in Encoding.ASCII.GetString([.. headerBytes]).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var (name, value) = (line[..colon], line[(colon + 1)..].Trim());
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                context.Response.Headers[name] = value;
            }
        }

        await output.CopyToAsync(context.Response.Body);
        await input;
        await process.WaitForExitAsync();
        await stderr;
        if (context.Request.Method == "POST" && context.Request.Path.Value?.EndsWith("/git-receive-pack", StringComparison.Ordinal) == true)
        {
            Pushed?.Invoke(context.Request.Path.Value);
        }
    }
}
