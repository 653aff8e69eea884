using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ClaudeHooks.Config;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Checks each agent live against the invariants that keep host credentials out of reach and tasks apart: the
/// agent's container is hardened, runs nothing but its init and maintenance, holds no Claude settings or hooks, and
/// its repository cache is not writable by the agent's uid; no task sandbox outlives its task and each has the
/// agent's hardening, no network but loopback, a running forwarder to the gateway and no known credential in any
/// process's environment; a fresh sandbox shows the service's Claude policy, an empty home and a read-only cache and
/// reaches the gateway; and a stand-in forge token leaves no trace in any exec, filesystem or engine inspection.
/// </summary>
/// <param name="runtime">The engine.</param>
/// <param name="config">The agents.</param>
/// <param name="paths">Where the host-side secrets live.</param>
/// <param name="gateway">Serves the probe sandbox's socket.</param>
/// <param name="liveTaskKeys">Keys of the tasks running now (from the database), or null when it cannot be read.</param>
internal sealed class ContainerAuditor(ContainerRuntime runtime, AgentsConfig config, ClaudeHooksPaths paths, Gateway.HostGateway gateway, IReadOnlySet<string>? liveTaskKeys)
{
    /// <summary>The Claude Code policy file in the image, as the service ships it.</summary>
    public const string ManagedSettingsPath = "/etc/claude-code/managed-settings.json";

    private DockerClient docker => runtime.Engine;

    /// <summary>Every credential the service knows (forge tokens, model credentials, API token, webhook secrets), for the environment scan.</summary>
    private readonly Security.SecretCatalog _secrets = Security.SecretCatalog.For(config, paths);

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
        await SandboxesAsync(agent, Check, cancellationToken);
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

        Check("container", inspect.State!.Running, inspect.State!.Running ? $"{name} is running" : $"{name} is {inspect.State!.Status}; run 'claude-hooks containers up'");
        CheckConfiguration(agent, inspect, ResourceNames.MaintenanceUser, Check);
        if (!inspect.State!.Running)
        {
            return findings;
        }

        if (!agent.Container.HasNetwork)
        {
            var mode = inspect.HostConfig?.NetworkMode ?? "";
            Check("no network but the gateway", mode == "none", mode == "none"
                ? "the agent's container and its sandboxes have no network; everything leaves through the gateway"
                : $"network mode {mode}; run 'claude-hooks containers rebuild {agent.Name}'");
        }
        else
        {
            var networkName = agent.Container.Network == ContainerSettings.AgentNetwork ? ResourceNames.Network(config.ContainerPrefix, agent.Name) : agent.Container.Network!;
            Check("no network but the gateway", agent.Container.NetworkAcknowledged, agent.Container.NetworkAcknowledged
                ? $"network {networkName} is a route around the gateway, acknowledged in agents.{agent.Name}.container.network_acknowledged"
                : $"network {networkName} (agents.{agent.Name}.container.network) is a route around the gateway's policy and log; remove the key, or set agents.{agent.Name}.container.network_acknowledged to true to accept it");
            var network = await docker.Networks.InspectNetworkAsync(networkName, cancellationToken);
            var isolated = network.Options is not null && network.Options.TryGetValue(ResourceNames.InterContainerOption, out var icc) && icc == "false";
            Check("sandboxes cannot reach each other", isolated, isolated
                ? $"{network.Name} carries no traffic between its containers"
                : agent.Container.Network == ContainerSettings.AgentNetwork
                    ? $"{network.Name} lets its containers talk to each other; recreate it: 'claude-hooks containers down {agent.Name}' then 'containers up {agent.Name}'"
                    : $"{network.Name} (agents.{agent.Name}.container.network) lets its containers talk to each other; create it with '-o {ResourceNames.InterContainerOption}=false' or remove the key");
        }

        await LiveProcessAsync(agent, name, ResourceNames.MaintenanceUser, "", Check, cancellationToken);
        await OnlyInitAsync(agent, name, inspect, Check, cancellationToken);
        // Looked through as the owner (the agent's uid cannot even list /state/cache): anything not owned by it, or
        // writable by group or others, could be changed by another uid.
        var cache = await runtime.ExecAsync(name, ["sh", "-c", "find /state \\( ! -user hooks -o -perm /022 \\) ! -type l -print 2>/dev/null | head -n 5"], user: ResourceNames.MaintenanceUser, cancellationToken: cancellationToken);
        var writable = cache.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Check("cache not writable by the agent", cache.Succeeded && writable.Length == 0, writable.Length == 0
            ? $"everything under /state is owned by {ResourceNames.MaintenanceUser} and writable by it alone"
            : $"{string.Join(", ", writable)} not owned by {ResourceNames.MaintenanceUser} or writable by others; run 'claude-hooks containers rebuild {agent.Name}' (it replaces a state volume of the old layout)");
        var strays = await runtime.ExecAsync(name, ["sh", "-c", "ls -A /state/cache | grep -Ev '^[0-9a-f]{32}[.]git([.](lock|users|repo))?$' | head -n 5; true"], user: ResourceNames.MaintenanceUser, cancellationToken: cancellationToken);
        var strayEntries = strays.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Check("caches only under keyed names", strayEntries.Length == 0, strayEntries.Length == 0
            ? "/state/cache holds nothing but caches under names a task cannot guess"
            : $"/state/cache also holds {string.Join(", ", strayEntries)}, which a sandbox could reach by a guessed path; run 'claude-hooks containers rebuild {agent.Name}'");

        // Each volume is looked through as the user that owns it (the home volume is the agent user's, 0700).
        var plantedState = await runtime.ExecAsync(name, ["sh", "-c", PlantedSettingsScript, "planted", ResourceNames.StateMount], user: ResourceNames.MaintenanceUser, cancellationToken: cancellationToken);
        var plantedHome = await runtime.ExecAsync(name, ["sh", "-c", PlantedSettingsScript, "planted", ResourceNames.HomeMount], user: agent.Container.User, cancellationToken: cancellationToken);
        var plantedFiles = (plantedState.Stdout + plantedHome.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Check("no Claude settings in the agent's volumes", plantedFiles.Length == 0, plantedFiles.Length == 0
            ? "no settings, hooks, MCP or CLAUDE.md files in the state or home volume"
            : $"found {string.Join(", ", plantedFiles)}; nothing may configure Claude Code but the service: remove them and find what wrote them");

        await ProbeSandboxAsync(agent, Check, cancellationToken);

        // Every other image a task of this agent may run in (a repository's, a selectable one) gets the same look.
        foreach (var profile in OtherImages(agent))
        {
            try
            {
                await docker.Images.InspectImageAsync(profile.Image, cancellationToken);
            }
            catch (DockerImageNotFoundException)
            {
                continue;
            }

            await ProbeSandboxAsync(agent, (c, p, d) => Check($"{c} [{profile.Image}]", p, d), cancellationToken, profile);
        }
        findings.AddRange(await StandInTokenAsync(agent, name, standIn, cancellationToken));
        return findings;
    }

    private const string PlantedSettingsScript = """
        for root in "$@"; do
            find "$root" -xdev \( -name 'settings.json' -o -name 'settings.local.json' -o -name '.claude.json' -o -name '.mcp.json' -o -name 'CLAUDE.md' -o -name 'CLAUDE.local.md' -o -path '*/.claude/*' -o -name '.claude' -o -name '.gitconfig' \) -print 2>/dev/null
        done | head -n 20
        """;

    /// <summary>Every sandbox of the agent serves a running task (or is warm, holding no task) and has the agent's hardening.</summary>
    private async Task SandboxesAsync(AgentConfig agent, Action<string, bool, string> check, CancellationToken cancellationToken)
    {
        var all = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ResourceNames.SandboxFilter(config.ContainerPrefix, agent.Name) }, cancellationToken);
        var stray = new List<string>();
        foreach (var sandbox in all)
        {
            var name = sandbox.Names.FirstOrDefault()?.TrimStart('/') ?? sandbox.ID;
            var key = name[(config.ContainerPrefix.Length + agent.Name.Length + 2)..];
            var warm = key.StartsWith("warm-", StringComparison.Ordinal) && !sandbox.Labels.ContainsKey(ResourceNames.TaskLabel);
            if (!warm && (liveTaskKeys is null || !liveTaskKeys.Contains(key) || sandbox.State != "running"))
            {
                stray.Add($"{name} ({sandbox.State})");
                continue;
            }

            var inspect = await docker.Containers.InspectContainerAsync(sandbox.ID, cancellationToken);
            var findings = new List<(string Check, bool Passed, string Detail)>();
            CheckConfiguration(agent, inspect, agent.Container.User, (c, p, d) => findings.Add((c, p, d)), sandbox: true);
            var readOnlyCache = (inspect.Mounts ?? []).Any(m => m.Destination == ResourceNames.StateMount && !m.RW);
            var failed = findings.Where(f => !f.Passed).Select(f => $"{f.Check}: {f.Detail}").ToList();
            if (!readOnlyCache)
            {
                failed.Add("the state volume is not mounted read-only");
            }

            if (sandbox.State == "running")
            {
                // A Claude Code process that loads settings from anywhere but the service would run under another policy.
                var unruly = (await runtime.ProcessesAsync(sandbox.ID, cancellationToken))
                    .Where(p => p.Command.StartsWith("claude ", StringComparison.Ordinal) || p.Command.Contains("/claude ", StringComparison.Ordinal))
                    .Where(p => !Agents.ClaudeCommandLine.PolicyFlags.All(flag => p.Command.Contains(flag, StringComparison.Ordinal)))
                    .Select(p => p.Pid)
                    .ToList();
                if (unruly.Count > 0)
                {
                    failed.Add($"Claude Code process(es) {string.Join(", ", unruly)} run without the service's policy flags ({string.Join(" ", Agents.ClaudeCommandLine.PolicyFlags)})");
                }

                failed.AddRange(await InsideSandboxAsync(agent, sandbox.ID, cancellationToken));
            }

            if (NetworkProblem(agent, inspect) is { } network)
            {
                failed.Add(network);
            }

            check($"sandbox {name} hardening", failed.Count == 0, failed.Count == 0 ? "as its agent's spec, and every Claude Code in it under the service's policy" : string.Join("; ", failed) + $"; remove it ('docker rm -f {name}')");
        }

        check("no sandbox outlives its task", stray.Count == 0 && liveTaskKeys is not null, liveTaskKeys is null
            ? "the database could not be read, so sandboxes cannot be matched to tasks; pass --data-dir"
            : stray.Count == 0
                ? $"{all.Count} sandbox(es), each serving a running task or warm"
                : $"{string.Join(", ", stray)} serve no running task; 'claude-hooks serve' removes them at start, or 'docker rm -f' them");
    }

    /// <summary>A fresh sandbox of the agent, looked at from inside: hardening, empty home, read-only cache, and the service's Claude policy.</summary>
    private async Task ProbeSandboxAsync(AgentConfig agent, Action<string, bool, string> check, CancellationToken cancellationToken, Agents.TaskProfile? profile = null)
    {
        var manager = new SandboxManager(runtime, config, gateway, Microsoft.Extensions.Logging.Abstractions.NullLogger<SandboxManager>.Instance);
        Sandbox probe;
        try
        {
            probe = await manager.CreateProbeAsync(agent, cancellationToken, profile);
        }
        catch (SandboxException e)
        {
            check("sandbox", false, e.Message);
            return;
        }

        try
        {
            await LiveProcessAsync(agent, probe.Id, agent.Container.User, "sandbox ", check, cancellationToken);
            var inside = await InsideSandboxAsync(agent, probe.Id, cancellationToken);
            check("sandbox network and forwarder", inside.Count == 0, inside.Count == 0
                ? $"a new sandbox has no interface but loopback and its forwarder listens on 127.0.0.1:{Gateway.HostGateway.Port}"
                : string.Join("; ", inside));
            var reply = await runtime.ExecAsync(probe.Id, ["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", Gateway.HostGateway.LocalUrl + "/"], user: agent.Container.User, cancellationToken: cancellationToken);
            check("sandbox reaches the gateway", reply.Stdout.Trim() == "404", reply.Stdout.Trim() == "404"
                ? "the gateway answers through the sandbox's socket (unknown route: 404)"
                : $"a request to {Gateway.HostGateway.LocalUrl} from a new sandbox got '{reply.Stdout.Trim()}' ({reply.Stderr.Trim()}); check the image has socat and curl ('claude-hooks images build')");
            var probeInspect = await docker.Containers.InspectContainerAsync(probe.Id, cancellationToken);
            var network = NetworkProblem(agent, probeInspect);
            check("sandbox network mode", network is null, network ?? $"network mode {probeInspect.HostConfig!.NetworkMode}");
            var home = await runtime.ExecAsync(probe.Id, ["ls", "-A", ResourceNames.HomeMount], user: agent.Container.User, cancellationToken: cancellationToken);
            var image = await docker.Containers.InspectContainerAsync(probe.Id, cancellationToken);
            var allowed = await ImageHomeFilesAsync(image.Image, cancellationToken);
            var unexpected = home.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(f => !allowed.Contains(f)).ToList();
            check("sandbox empty home", home.Succeeded && unexpected.Count == 0, unexpected.Count == 0
                ? "a new sandbox's ~ holds only image-provided files"
                : $"a new sandbox's ~ holds {string.Join(", ", unexpected)}; the image puts them there: rebuild it without them");

            var write = await runtime.ExecAsync(probe.Id, ["sh", "-c", "touch /state/cache/.audit-write 2>&1 || true; test -w /state/cache && echo writable || true"], user: agent.Container.User, cancellationToken: cancellationToken);
            var readOnly = !write.Stdout.Contains("writable", StringComparison.Ordinal) && write.Stdout.Contains("Read-only file system", StringComparison.Ordinal);
            check("sandbox cache read-only", readOnly, readOnly ? "writing the cache from a sandbox fails: read-only file system" : $"a sandbox could write the cache ({write.Stdout.Trim()}); run 'claude-hooks containers rebuild {agent.Name}'");
            var listing = await runtime.ExecAsync(probe.Id, ["sh", "-c", "ls -A /state/cache 2>&1; echo \"found=$(find /state -name '*.git' 2>/dev/null | wc -l)\""], user: agent.Container.User, cancellationToken: cancellationToken);
            var hidden = listing.Stdout.Contains("Permission denied", StringComparison.Ordinal) && listing.Stdout.Contains("found=0", StringComparison.Ordinal);
            check("sandbox sees no repository's cache", hidden, hidden
                ? "/state/cache cannot be listed from a sandbox; a task reaches only the cache it is given"
                : $"a sandbox can list the caches ({listing.Stdout.Trim()}); run 'claude-hooks containers rebuild {agent.Name}' (its entrypoint makes /state/cache 0711)");

            var expected = ExpectedManagedSettings();
            var policy = await runtime.ExecAsync(probe.Id, ["sh", "-c", $"ls -A /etc/claude-code; echo ---; cat {ManagedSettingsPath}"], user: agent.Container.User, cancellationToken: cancellationToken);
            var parts = policy.Stdout.Split("---\n", 2);
            var files = parts[0].Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var same = expected is not null && parts.Length == 2 && files.SequenceEqual(["managed-settings.json"]) && parts[1].Trim() == expected.Trim();
            check("Claude policy is the service's", same, same
                ? $"{ManagedSettingsPath} is the service's and /etc/claude-code holds nothing else"
                : expected is null
                    ? "the service's managed-settings.json is not beside the executable; reinstall claude-hooks"
                    : $"/etc/claude-code in {profile?.Image ?? agent.Image} holds [{string.Join(", ", files)}] and its managed settings differ from the service's; rebuild the image with '{Stacks.BuildCommand(profile?.Image ?? agent.Image)}'");
        }
        finally
        {
            await manager.ReleaseAsync(probe);
        }
    }

    // Interfaces, the forwarder's listening socket (0x1CF3 = 7411), and every process's environment.
    private const string InsideScript = """
        echo "interfaces=$(ls /sys/class/net | tr '\n' ' ')"
        if grep -q '0100007F:1CF3 00000000:0000 0A' /proc/net/tcp; then echo forwarder=yes; else echo forwarder=no; fi
        for f in /proc/[0-9]*/environ; do cat "$f" 2>/dev/null; printf '\n'; done
        """;

    /// <summary>What a sandbox holds that it must not: an interface other than loopback, no forwarder, or a known credential in any process's environment.</summary>
    private async Task<List<string>> InsideSandboxAsync(AgentConfig agent, string container, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var result = await runtime.ExecAsync(container, ["sh", "-c", InsideScript], user: agent.Container.User, cancellationToken: cancellationToken);
        var lines = result.Stdout.Split('\n');
        var interfaces = lines.FirstOrDefault(l => l.StartsWith("interfaces=", StringComparison.Ordinal))?["interfaces=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (!agent.Container.HasNetwork && !interfaces.SequenceEqual(["lo"]))
        {
            problems.Add($"network interfaces [{string.Join(", ", interfaces)}] besides loopback; run 'claude-hooks containers rebuild {agent.Name}' and remove agents.{agent.Name}.container.network");
        }

        if (!lines.Contains("forwarder=yes"))
        {
            problems.Add($"no forwarder listens on 127.0.0.1:{Gateway.HostGateway.Port}, so the sandbox cannot reach the gateway; rebuild the image ('claude-hooks images build') so its entrypoint runs socat");
        }

        var environment = result.Stdout.Replace('\0', '\n');
        foreach (var secret in _secrets.Current.Secrets)
        {
            if (environment.Contains(secret.Value, StringComparison.Ordinal))
            {
                problems.Add($"the {secret.Kind} is in a process's environment; a credential never enters a sandbox. Remove the sandbox ('docker rm -f') and find what passed it");
            }
        }

        return problems;
    }

    /// <summary>A sandbox network besides none is a route around the gateway: allowed only when acknowledged in config.</summary>
    private static string? NetworkProblem(AgentConfig agent, ContainerInspectResponse inspect)
    {
        var mode = inspect.HostConfig?.NetworkMode ?? "";
        if (mode == "none")
        {
            return null;
        }

        return agent.Container.NetworkAcknowledged
            ? null
            : $"network mode {mode}: a route around the gateway; remove agents.{agent.Name}.container.network, or set agents.{agent.Name}.container.network_acknowledged to true to accept it";
    }

    /// <summary>Nothing runs in the agent's container but its init and the maintenance user's git; agent code runs only in sandboxes.</summary>
    private async Task OnlyInitAsync(AgentConfig agent, string name, ContainerInspectResponse inspect, Action<string, bool, string> check, CancellationToken cancellationToken)
    {
        var processes = await runtime.ProcessesAsync(name, cancellationToken);
        var init = inspect.State!.Pid.ToString(CultureInfo.InvariantCulture);
        var others = processes
            .Where(p => p.Pid != init && !(p.ParentPid == init && p.Command == "sleep infinity"))
            .Where(p => p.User != ResourceNames.MaintenanceUser && p.User != "999")
            .Select(p => $"{p.Pid} {p.User} {p.Command}")
            .ToList();
        check("agent container runs only its init", others.Count == 0, others.Count == 0
            ? $"{processes.Count} process(es): its init and the service's maintenance"
            : $"{string.Join("; ", others)}; agent code must run only in sandboxes: 'claude-hooks containers rebuild {agent.Name}'");
    }

    private async Task LiveProcessAsync(AgentConfig agent, string container, string user, string label, Action<string, bool, string> check, CancellationToken cancellationToken)
    {
        var status = await runtime.ExecAsync(container, ["sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"], user: user, cancellationToken: cancellationToken);
        var lines = status.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var uid = lines.FirstOrDefault() ?? "?";
        check($"{label}live user", uid != "0" && uid != "?", $"exec runs as uid {uid}");
        var fields = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        if (agent.Container.DropAllCapabilities && agent.Container.CapAdd.Count == 0)
        {
            var capEff = fields.GetValueOrDefault("CapEff", "?");
            check($"{label}live capabilities", capEff.Trim('0').Length == 0 && capEff != "?", $"CapEff {capEff}");
        }

        if (agent.Container.NoNewPrivileges)
        {
            check($"{label}live no-new-privileges", fields.GetValueOrDefault("NoNewPrivs") == "1", $"NoNewPrivs {fields.GetValueOrDefault("NoNewPrivs", "?")}");
        }

        if (agent.Container.Seccomp == "default")
        {
            check($"{label}live seccomp", fields.GetValueOrDefault("Seccomp") == "2", $"Seccomp mode {fields.GetValueOrDefault("Seccomp", "?")} (2 = filter)");
        }
    }

    private static string? ExpectedManagedSettings()
    {
        var file = Path.Combine(ImageBuilder.DefaultContextDirectory, "managed-settings.json");
        return File.Exists(file) ? File.ReadAllText(file) : null;
    }

    /// <remarks>
    /// A task sandbox may run with a repository's tighter limits (<c>repositories.*.container</c>), so for a
    /// <paramref name="sandbox"/> the limits are checked as at most the agent's, never unlimited.
    /// </remarks>
    private void CheckConfiguration(AgentConfig agent, ContainerInspectResponse inspect, string expectedUser, Action<string, bool, string> check, bool sandbox = false)
    {
        var host = inspect.HostConfig!;
        var settings = agent.Container;
        check("user", inspect.Config!.User == expectedUser && inspect.Config!.User is not ("" or "root" or "0"), $"configured user \"{inspect.Config!.User}\" (expected \"{expectedUser}\")");
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

        check("pids limit", sandbox ? host.PidsLimit is > 0 && host.PidsLimit <= settings.PidsLimit : host.PidsLimit == settings.PidsLimit,
            $"PidsLimit {host.PidsLimit?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"} (configured {(sandbox ? "at most " : "")}{settings.PidsLimit})");
        check("memory limit", sandbox
                ? host.Memory > 0 && host.Memory <= settings.MemoryBytes && host.MemorySwap > 0 && host.MemorySwap <= settings.MemorySwapBytes
                : host.Memory == settings.MemoryBytes && host.MemorySwap == settings.MemorySwapBytes,
            $"Memory {ByteSize.Format(host.Memory)}, MemorySwap {ByteSize.Format(host.MemorySwap)} (configured {ByteSize.Format(settings.MemoryBytes)}/{ByteSize.Format(settings.MemorySwapBytes)})");
        var namespaces = new[] { ("network", host.NetworkMode), ("pid", host.PidMode), ("ipc", host.IpcMode), ("uts", host.UTSMode), ("userns", host.UsernsMode) };
        var shared = namespaces.Where(n => n.Item2 is "host" || (n.Item2?.StartsWith("container:", StringComparison.Ordinal) ?? false)).Select(n => $"{n.Item1}={n.Item2}").ToList();
        check("host namespaces", shared.Count == 0 && (host.Devices?.Count ?? 0) == 0, shared.Count == 0 ? "none shared, no devices" : $"shares {string.Join(", ", shared)}");
        var published = (host.PortBindings ?? new Dictionary<string, IList<PortBinding>>()).Where(p => p.Value is { Count: > 0 }).Select(p => p.Key).ToList();
        check("published ports", published.Count == 0 && !host.PublishAllPorts, published.Count == 0 ? "none" : string.Join(", ", published));

        var forbidden = ForbiddenMountSources(agent);
        var gatewayFolders = new[] { Path.Combine(config.GatewayRoot, "sockets"), Path.Combine(config.GatewayRoot, "agents") };
        var badMounts = (inspect.Mounts ?? [])
            .Where(m => !(m.Destination == Gateway.HostGateway.ContainerDirectory && !m.RW && gatewayFolders.Any(g => IsUnder(m.Source, g) && !SamePath(m.Source, g))))
            .Where(m => m.Type == "bind")
            .Where(m => !(agent.ClaudeAuth.Kind == ClaudeAuthKind.CredentialsDirectory && SamePath(m.Source, agent.ClaudeAuth.Path) && !m.RW))
            .Where(m => !(sandbox && SamePath(m.Source, config.SandboxCaFolder) && m.Destination == SandboxTrust.ContainerDirectory && !m.RW))
            .Where(m => forbidden.Any(f => IsUnder(m.Source, f)) || m.Source.EndsWith(".sock", StringComparison.Ordinal) || m.Source is "/" or "/etc" or "/proc" or "/sys" or "/dev" or "/var/lib/docker")
            .Select(m => $"{m.Source} -> {m.Destination}")
            .ToList();
        check("mounts", badMounts.Count == 0, badMounts.Count == 0
            ? $"no operator credentials, tokens or engine socket mounted ({(inspect.Mounts ?? []).Count} mounts)"
            : $"forbidden mounts: {string.Join("; ", badMounts)}; run 'claude-hooks containers rebuild {agent.Name}'");
        var secretEnvironment = (inspect.Config!.Env ?? []).Select(e => e.Split('=', 2)[0]).Where(SecretVariables.Contains).ToList();
        check("secrets in container config", secretEnvironment.Count == 0, secretEnvironment.Count == 0
            ? "no credential variables in Config.Env"
            : $"Config.Env carries {string.Join(", ", secretEnvironment)}; secrets must only be passed per exec. Run 'claude-hooks containers rebuild {agent.Name}'");
    }

    private async Task<List<AuditFinding>> StandInTokenAsync(AgentConfig agent, string container, string standIn, CancellationToken cancellationToken)
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

            // A real exec made as the service's fetch and push make one: the gateway holds the token, so the exec must not.
            var environment = AgentCredentials.MaintenanceEnvironment(agent, "audit", gateway.MaintenanceSocket);
            using var probe = await runtime.StartStreamingAsync(container, ["sh", "-c", "tr '\\0' '\\n' < /proc/self/environ"], new ExecOptions(environment, ResourceNames.MaintenanceUser), cancellationToken);
            probe.Stream.CloseWrite();
            var (seen, _) = await probe.Stream.ReadOutputToEndAsync(cancellationToken);
            var probeInspect = await probe.InspectAsync(cancellationToken);
            findings.Add(new AuditFinding(agent.Name, "token not in exec environment", seen.Contains("GATEWAY_SOCKET=", StringComparison.Ordinal) && !seen.Contains(standIn, StringComparison.Ordinal),
                seen.Contains(standIn, StringComparison.Ordinal) ? "the forge token reached the exec's environment; the gateway must be the only holder" : "the service's git gets the gateway's socket, not the token"));
            findings.Add(new AuditFinding(agent.Name, "token not in exec inspect", !JsonSerializer.Serialize(probeInspect).Contains(standIn, StringComparison.Ordinal), "GET /exec/{id}/json"));

            var inspectJson = JsonSerializer.Serialize(await docker.Containers.InspectContainerAsync(container, cancellationToken));
            findings.Add(new AuditFinding(agent.Name, "token not in docker inspect", !inspectJson.Contains(standIn, StringComparison.Ordinal), inspectJson.Contains(standIn, StringComparison.Ordinal)
                ? "the stand-in token appears in the container's inspect output; run 'claude-hooks containers rebuild " + agent.Name + "'"
                : "container inspect output holds no trace of it"));

            var scan = await runtime.ExecAsync(
                container,
                ["sh", "-c", $"grep -rlF -e \"${NeedleVariable}\" --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev / 2>/dev/null; exit 0"],
                environment: [$"{NeedleVariable}={standIn}"],
                user: ResourceNames.MaintenanceUser,
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

    /// <summary>
    /// One profile per image, other than the agent's own, that a task of the agent may run in: a <c>repositories</c>
    /// entry's image or stack (where the agent may work) and each of <c>images.selectable</c>. Images not built are
    /// left to <c>doctor</c> and to the task, which fails with the command that builds them.
    /// </summary>
    private IEnumerable<Agents.TaskProfile> OtherImages(AgentConfig agent)
    {
        var own = Agents.TaskProfile.Resolve(config, agent, null, null);
        var profiles = config.Repositories.Where(r => r.Allows(agent.Name) && r.RequestedImage is not null)
            .Select(r => own with { Image = r.RequestedImage!, Repository = r, Container = r.Container.Apply(agent.Container), Runner = r.Runner.Apply(agent.Runner) })
            .Concat(config.Images.Selectable.Select(image => own with { Image = image }))
            .Where(p => p.Image != agent.Image);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var profile in profiles)
        {
            // A repository's sandboxes run under its own runtime and limits: each distinct one is looked at.
            if (seen.Add($"{profile.Image}|{profile.Container.Runtime}"))
            {
                yield return profile;
            }
        }
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
