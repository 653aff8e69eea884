using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ClaudeHooks.Config;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Checks each running agent container against the invariants that keep host credentials out of reach:
/// configured hardening is in force, $HOME is empty, no operator secret is mounted, and a stand-in forge
/// token used by a real exec leaves no trace in the container's filesystem or in engine inspection.
/// </summary>
internal sealed class ContainerAuditor(DockerClient docker, AgentsConfig config, ClaudeHooksPaths paths)
{
    private const string NeedleVariable = "AUDIT_NEEDLE";
    private static readonly string[] SecretVariables = ["FORGE_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GITEA_TOKEN", "FORGEJO_TOKEN", "FORGEJO_ACCESS_TOKEN"];

    public async Task<IReadOnlyList<AuditFinding>> AuditAsync(IReadOnlyList<AgentConfig> agents, string? standInToken, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        foreach (var agent in agents)
        {
            findings.AddRange(await AuditAgentAsync(agent, standInToken ?? NewStandInToken(), cancellationToken));
        }

        return findings;
    }

    private async Task<List<AuditFinding>> AuditAgentAsync(AgentConfig agent, string standIn, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        void Check(string check, bool passed, string detail) => findings.Add(new AuditFinding(agent.Name, check, passed, detail));

        var name = ResourceNames.Container(config.ContainerPrefix, agent.Name);
        ContainerInspectResponse inspect;
        try
        {
            inspect = await docker.Containers.InspectContainerAsync(name, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            Check("container", false, $"{name} does not exist; run 'claude-hooks containers up'");
            return findings;
        }

        Check("container", inspect.State.Running, inspect.State.Running ? $"{name} is running" : $"{name} is {inspect.State.Status}; run 'claude-hooks containers up'");
        CheckConfiguration(agent, inspect, Check);
        if (!inspect.State.Running)
        {
            return findings;
        }

        var exec = new AgentExec(docker);
        var status = await exec.RunAsync(name, ["sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"], cancellationToken: cancellationToken);
        var lines = status.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var uid = lines.FirstOrDefault() ?? "?";
        Check("live user", uid != "0" && uid != "?", $"exec runs as uid {uid}");
        var fields = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        if (agent.Container.DropAllCapabilities && agent.Container.CapAdd.Count == 0)
        {
            var capEff = fields.GetValueOrDefault("CapEff", "?");
            Check("live capabilities", capEff.Trim('0').Length == 0 && capEff != "?", $"CapEff {capEff}");
        }

        if (agent.Container.NoNewPrivileges)
        {
            Check("live no-new-privileges", fields.GetValueOrDefault("NoNewPrivs") == "1", $"NoNewPrivs {fields.GetValueOrDefault("NoNewPrivs", "?")}");
        }

        if (agent.Container.Seccomp == "default")
        {
            Check("live seccomp", fields.GetValueOrDefault("Seccomp") == "2", $"Seccomp mode {fields.GetValueOrDefault("Seccomp", "?")} (2 = filter)");
        }

        var home = await exec.RunAsync(name, ["ls", "-A", ResourceNames.HomeMount], cancellationToken: cancellationToken);
        var allowed = await ImageHomeFilesAsync(inspect.Image, cancellationToken);
        var unexpected = home.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(f => !allowed.Contains(f)).ToList();
        Check("empty home", home.Succeeded && unexpected.Count == 0, unexpected.Count == 0
            ? "~ holds only image-provided files"
            : $"~ holds {string.Join(", ", unexpected)} (not provided by the image); inspect and clear volume {ResourceNames.HomeVolume(config.ContainerPrefix, agent.Name)}");

        findings.AddRange(await StandInTokenAsync(agent, name, standIn, exec, cancellationToken));
        return findings;
    }

    private void CheckConfiguration(AgentConfig agent, ContainerInspectResponse inspect, Action<string, bool, string> check)
    {
        var host = inspect.HostConfig;
        var settings = agent.Container;
        check("user", inspect.Config.User == settings.User && inspect.Config.User is not ("" or "root" or "0"), $"configured user \"{inspect.Config.User}\" (expected \"{settings.User}\")");
        check("privileged", !host.Privileged, host.Privileged ? "container is privileged; run 'containers rebuild'" : "not privileged");
        var capDrop = host.CapDrop ?? [];
        if (settings.DropAllCapabilities)
        {
            check("cap-drop", capDrop.Contains("ALL"), $"CapDrop [{string.Join(",", capDrop)}]");
        }

        var capAdd = (host.CapAdd ?? []).Order(StringComparer.Ordinal).ToList();
        check("cap-add", capAdd.SequenceEqual(settings.CapAdd.Order(StringComparer.Ordinal)), $"CapAdd [{string.Join(",", capAdd)}] (configured [{string.Join(",", settings.CapAdd)}])");
        var securityOptions = host.SecurityOpt ?? [];
        if (settings.NoNewPrivileges)
        {
            check("no-new-privileges", securityOptions.Any(o => o is "no-new-privileges" or "no-new-privileges:true" or "no-new-privileges=true"), $"SecurityOpt [{string.Join(",", securityOptions)}]");
        }

        if (settings.Seccomp == "default")
        {
            check("seccomp", !securityOptions.Any(o => o.Contains("unconfined", StringComparison.Ordinal)), $"SecurityOpt [{string.Join(",", securityOptions)}]");
        }

        check("pids limit", host.PidsLimit == settings.PidsLimit, $"PidsLimit {host.PidsLimit?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"} (configured {settings.PidsLimit})");
        check("memory limit", host.Memory == settings.MemoryBytes && host.MemorySwap == settings.MemorySwapBytes,
            $"Memory {ByteSize.Format(host.Memory)}, MemorySwap {ByteSize.Format(host.MemorySwap)} (configured {ByteSize.Format(settings.MemoryBytes)}/{ByteSize.Format(settings.MemorySwapBytes)})");
        var namespaces = new[] { ("network", host.NetworkMode), ("pid", host.PidMode), ("ipc", host.IpcMode), ("uts", host.UTSMode), ("userns", host.UsernsMode) };
        var shared = namespaces.Where(n => n.Item2 is "host" || (n.Item2?.StartsWith("container:", StringComparison.Ordinal) ?? false)).Select(n => $"{n.Item1}={n.Item2}").ToList();
        check("host namespaces", shared.Count == 0 && (host.Devices?.Count ?? 0) == 0, shared.Count == 0 ? "none shared, no devices" : $"shares {string.Join(", ", shared)}");
        var published = (host.PortBindings ?? new Dictionary<string, IList<PortBinding>>()).Where(p => p.Value is { Count: > 0 }).Select(p => p.Key).ToList();
        check("published ports", published.Count == 0 && !host.PublishAllPorts, published.Count == 0 ? "none" : string.Join(", ", published));

        var forbidden = ForbiddenMountSources(agent);
        var badMounts = (inspect.Mounts ?? [])
            .Where(m => m.Type == "bind")
            .Where(m => !(agent.ClaudeAuth.Kind == ClaudeAuthKind.CredentialsDirectory && SamePath(m.Source, agent.ClaudeAuth.Path) && !m.RW))
            .Where(m => forbidden.Any(f => IsUnder(m.Source, f)) || m.Source.EndsWith(".sock", StringComparison.Ordinal) || m.Source is "/" or "/etc" or "/proc" or "/sys" or "/dev" or "/var/lib/docker")
            .Select(m => $"{m.Source} -> {m.Destination}")
            .ToList();
        check("mounts", badMounts.Count == 0, badMounts.Count == 0
            ? $"no operator credentials, tokens or engine socket mounted ({(inspect.Mounts ?? []).Count} mounts)"
            : $"forbidden mounts: {string.Join("; ", badMounts)}; run 'claude-hooks containers rebuild {agent.Name}'");
        var secretEnvironment = (inspect.Config.Env ?? []).Select(e => e.Split('=', 2)[0]).Where(SecretVariables.Contains).ToList();
        check("secrets in container config", secretEnvironment.Count == 0, secretEnvironment.Count == 0
            ? "no credential variables in Config.Env"
            : $"Config.Env carries {string.Join(", ", secretEnvironment)}; secrets must only be passed per exec. Run 'claude-hooks containers rebuild {agent.Name}'");
    }

    private async Task<List<AuditFinding>> StandInTokenAsync(AgentConfig agent, string container, string standIn, AgentExec exec, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        var tokenFile = paths.TokenFile(agent.Name);
        var original = File.Exists(tokenFile) ? await File.ReadAllBytesAsync(tokenFile, cancellationToken) : null;
        var originalMode = original is null ? UnixFileMode.UserRead | UnixFileMode.UserWrite : File.GetUnixFileMode(tokenFile);
        Directory.CreateDirectory(paths.TokensDirectory);
        try
        {
            await File.WriteAllTextAsync(tokenFile, standIn + "\n", cancellationToken);
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            // A real exec with the forge token in its environment, as a task run makes one.
            var environment = new AgentCredentials(config, paths).ExecEnvironment(agent, includeForgeToken: true, includeClaudeAuth: false);
            var probe = await docker.Exec.ExecCreateContainerAsync(container, new ContainerExecCreateParameters
            {
                Cmd = ["sh", "-c", $"test -n \"${AgentCredentials.ForgeTokenVariable}\""],
                Env = [.. environment],
                User = agent.Container.User,
                AttachStdout = true,
                AttachStderr = true,
            }, cancellationToken);
            using (var stream = await docker.Exec.StartAndAttachContainerExecAsync(probe.ID, tty: false, cancellationToken))
            {
                await stream.ReadOutputToEndAsync(cancellationToken);
            }

            var probeInspect = await docker.Exec.InspectContainerExecAsync(probe.ID, cancellationToken);
            findings.Add(new AuditFinding(agent.Name, "token reaches exec", probeInspect.ExitCode == 0, probeInspect.ExitCode == 0
                ? "the stand-in token was passed in the exec's environment"
                : "the exec did not receive the forge token"));
            findings.Add(new AuditFinding(agent.Name, "token not in exec inspect", !JsonSerializer.Serialize(probeInspect).Contains(standIn, StringComparison.Ordinal), "GET /exec/{id}/json"));

            var inspectJson = JsonSerializer.Serialize(await docker.Containers.InspectContainerAsync(container, cancellationToken));
            findings.Add(new AuditFinding(agent.Name, "token not in docker inspect", !inspectJson.Contains(standIn, StringComparison.Ordinal), inspectJson.Contains(standIn, StringComparison.Ordinal)
                ? "the stand-in token appears in the container's inspect output; run 'claude-hooks containers rebuild " + agent.Name + "'"
                : "container inspect output holds no trace of it"));

            var scan = await exec.RunAsync(
                container,
                ["sh", "-c", $"grep -rlF -e \"${NeedleVariable}\" --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev / 2>/dev/null; exit 0"],
                environment: [$"{NeedleVariable}={standIn}"],
                user: agent.Container.User,
                cancellationToken: cancellationToken);
            var hits = scan.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            findings.Add(new AuditFinding(agent.Name, "token not in filesystem", hits.Length == 0, hits.Length == 0
                ? "grep over / (without /proc, /sys, /dev) finds no trace"
                : $"found in {string.Join(", ", hits)}; remove those files and find what wrote them"));
        }
        finally
        {
            if (original is null)
            {
                File.Delete(tokenFile);
            }
            else
            {
                var temporary = tokenFile + ".audit-restore";
                await File.WriteAllBytesAsync(temporary, original, CancellationToken.None);
                File.SetUnixFileMode(temporary, originalMode);
                File.Move(temporary, tokenFile, overwrite: true);
            }
        }

        return findings;
    }

    private async Task<HashSet<string>> ImageHomeFilesAsync(string image, CancellationToken cancellationToken)
    {
        var inspect = await docker.Images.InspectImageAsync(image, cancellationToken);
        var label = inspect.Config?.Labels is { } labels && labels.TryGetValue(ResourceNames.HomeFilesLabel, out var value) ? value : "";
        return new HashSet<string>(label.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
    }

    private List<string> ForbiddenMountSources(AgentConfig agent)
    {
        var home = ClaudeHooksPaths.UserHome;
        return
        [
            Path.Combine(home, ".claude"),
            Path.Combine(home, ".claude.json"),
            Path.Combine(home, ".ssh"),
            Path.Combine(home, ".config"),
            Path.Combine(home, ".docker"),
            paths.TokensDirectory,
            paths.Home,
            home,
        ];
    }

    private static bool IsUnder(string path, string root) =>
        SamePath(path, root) || Path.GetFullPath(path).StartsWith(Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + "/", StringComparison.Ordinal);

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)), Path.TrimEndingDirectorySeparator(Path.GetFullPath(b)), StringComparison.Ordinal);

    private static string NewStandInToken() => "audit-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
}
