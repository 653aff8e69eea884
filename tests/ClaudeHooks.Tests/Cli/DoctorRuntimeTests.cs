using ClaudeHooks.Cli;
using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Cli;

/// <summary>doctor's check of the container runtimes the config names against the engine's.</summary>
public sealed class DoctorRuntimeTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void ConfiguredRuntimes_AgentsAndRepositories_WithTheirKeys_AndLocalIsNoEngineRuntime()
    {
        var config = ConfigLoader.Parse("/etc/claude-hooks/agents.json", """
            { "agents": {
                "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "local" } },
                "reviewer": { "role": "reviewer", "forge_user": "r", "container": { "runtime": "runsc" } },
                "boss": { "role": "lead", "forge_user": "b" } },
              "repositories": { "https://git.example/acme/*": { "agents": ["boss"], "container": { "runtime": "sysbox-runc" } } } }
            """, new ClaudeHooksPaths(_home.Path));

        var runtimes = DoctorCommand.ConfiguredRuntimes(config);

        Assert.Equal(["runsc", "sysbox-runc"], runtimes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["agents.reviewer.container.runtime"], runtimes["runsc"]);
        Assert.Equal(["repositories.https://git.example/acme/*.container.runtime"], runtimes["sysbox-runc"]);
    }

    [Fact]
    public void RuntimeFix_Runsc_SaysHowToRegisterIt_OrWhichKeyToRemove()
    {
        var fix = DoctorCommand.RuntimeFix("runsc", ["agents.reviewer.container.runtime"], ["runc", "io.containerd.runc.v2"]);

        Assert.StartsWith("install gVisor's runsc and register it in /etc/docker/daemon.json", fix, StringComparison.Ordinal);
        Assert.Contains("or remove agents.reviewer.container.runtime (the engine has: runc, io.containerd.runc.v2)", fix, StringComparison.Ordinal);
    }
}
