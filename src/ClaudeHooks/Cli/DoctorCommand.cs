using System.CommandLine;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using Docker.DotNet;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks doctor</c>: checks engine, images, networks, config and credentials, printing the fix for each failure.</summary>
internal static class DoctorCommand
{
    private static readonly Option<bool> Json = new("--json") { Description = "Print everything doctor checks as one JSON document" };

    private static readonly Option<string> Url = new("--url") { Description = "The running service to compare with (default: $CLAUDE_HOOKS_URL or http://127.0.0.1:8080)", DefaultValueFactory = _ => ApiClient.DefaultUrl };

    public static Command Create()
    {
        var command = new Command("doctor", "Diagnose the installation and print the fix for each problem") { Json, Url };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var report = new DoctorReport();
            var json = parse.GetValue(Json);
            var code = await DiagnoseAsync(context, report, parse.GetValue(RunCommand.DataDirectory) ?? Persistence.Database.DefaultDataDirectory, parse.GetValue(Url)!, cancellationToken);
            report.Write(Console.Out, json, Path.GetFullPath(context.ConfigPath));
            return code;
        }));
        return command;
    }

    private static async Task<int> DiagnoseAsync(CommandContext context, DoctorReport report, string dataDirectory, string url, CancellationToken cancellationToken)
    {
        void Report(bool ok, string what, string? fix = null) => report.Check(ok, what, fix);

        AgentsConfig config;
        try
        {
            config = context.Config;
            Report(true, $"config {context.ConfigPath}: {config.Agents.Count} agents ({string.Join(", ", config.Agents.Select(a => a.Name))})");
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors)
            {
                Report(false, $"config: {error}");
            }

            return ExitCodes.CheckFailed;
        }

        foreach (var agent in config.Agents)
        {
            foreach (var change in agent.HardeningOverrides)
            {
                report.Note($"agent {agent.Name}: hardening override {change}");
            }

            if (agent.Container.HasNetwork)
            {
                report.Note($"agent {agent.Name}: container.network \"{agent.Container.Network}\" is a route around the gateway{(agent.Container.NetworkAcknowledged ? " (acknowledged)" : "; audit fails it until agents." + agent.Name + ".container.network_acknowledged is true")}");
            }
        }

        CheckLocalAgents(config, report, Report);

        Check(() => Gateway.HostGateway.PrepareRoot(config.GatewayRoot), $"gateway folder {config.GatewayRoot} (0700, sockets of every sandbox)", Report);
        CheckCredentials(context, config, Report);
        if (config.Images.ExtraCaBundle is { } bundle)
        {
            Check(() => ImageBuilder.ReadCaBundle(bundle), $"extra CA bundle {bundle}", Report);
        }

        CheckStorage(dataDirectory, config, report);

        try
        {
            var docker = await context.ConnectAsync(cancellationToken);
            var version = await docker.System.GetVersionAsync(cancellationToken);
            Report(true, $"docker engine {version.Version} (API {version.APIVersion}) at {DockerConnection.EndpointUri}");
            await CheckEngineAsync(docker, config, Report, cancellationToken);
        }
        catch (EngineUnavailableException e) when (Agents.LocalMode.Containerised(config).Count == 0)
        {
            report.Note($"docker engine: not reachable, and not needed while every agent runs on the host ({e.Message})");
        }
        catch (EngineUnavailableException e)
        {
            Report(false, "docker engine", e.Message);
        }
        catch (DockerApiException e)
        {
            // Reported with the rest, so --json still prints every finding when the engine refuses one request.
            Report(false, $"docker engine: a request was refused ({(int)e.StatusCode}): {(e.ResponseBody ?? "").Trim()}", "check the engine's log (journalctl -u docker) and that this user may use the engine");
        }

        await CheckServiceAsync(url, Path.GetFullPath(context.ConfigPath), context.Paths, report, cancellationToken);
        return report.Failures == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    /// <summary>The database's size and the data directory's free disk against <c>service.min_free_disk</c>.</summary>
    private static void CheckStorage(string dataDirectory, AgentsConfig config, DoctorReport report)
    {
        Hosting.StorageStatus storage;
        try
        {
            storage = Hosting.StorageStatus.Measure(dataDirectory, config.Service.MinFreeDisk);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            report.Check(false, $"data directory {dataDirectory}: cannot be measured ({e.Message})", "check the path given with --data-dir and its permissions");
            return;
        }

        report.Facts["storage"] = new { storage.DataDirectory, storage.FreeBytes, storage.TotalBytes, storage.MinFreeBytes, storage.DatabaseBytes, storage.WalBytes, storage.DiskOk };
        report.Check(storage.DiskOk, $"disk: {Hosting.StorageStatus.Readable(storage.FreeBytes)} free of {Hosting.StorageStatus.Readable(storage.TotalBytes)} in {storage.DataDirectory} (service.min_free_disk {Hosting.StorageStatus.Readable(storage.MinFreeBytes)})", storage.Refusal);
        report.Note($"database {Path.Combine(storage.DataDirectory, Persistence.Database.FileName)}: {Hosting.StorageStatus.Readable(storage.DatabaseBytes)}, write-ahead log {Hosting.StorageStatus.Readable(storage.WalBytes)}");
    }

    /// <summary>
    /// Asks the running service's <c>/api/health</c> which config it loaded: a doctor that checks another file than
    /// the service runs says little about the service. A service that is not running is no failure of the installation.
    /// </summary>
    private static async Task CheckServiceAsync(string url, string configFile, ClaudeHooksPaths paths, DoctorReport report, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            report.Warn($"service at {Security.TerminalText.Neutralize(url)}: not an http(s) URL", fix: "pass --url http://127.0.0.1:8080 (or set CLAUDE_HOOKS_URL)");
            return;
        }

        // A redirect could only take the request, and with it the token, somewhere the URL did not name.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        if (MaySendToken(baseAddress))
        {
            try
            {
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Api.ApiToken.Read(paths));
            }
            catch (Exception e) when (e is CredentialException or IOException or UnauthorizedAccessException)
            {
                // From loopback the health answer needs no token.
            }
        }

        System.Text.Json.JsonElement health;
        try
        {
            using var response = await http.GetAsync("api/health", cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            health = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(text);
            if (health.ValueKind != System.Text.Json.JsonValueKind.Object || !health.TryGetProperty("ok", out _))
            {
                report.Warn($"service at {url}: answered {(int)response.StatusCode} without a health report", fix: "check that --url (or CLAUDE_HOOKS_URL) names claude-hooks serve");
                return;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            report.Note($"service at {url}: not answering ({e.Message}); start it with 'scripts/start' or point --url at it");
            return;
        }

        var ok = health.GetProperty("ok").ValueKind == System.Text.Json.JsonValueKind.True;
        var problems = health.TryGetProperty("problems", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.Array
            ? p.EnumerateArray().Select(x => Security.TerminalText.Neutralize(x.GetString() ?? "")).ToList()
            : [];
        var loaded = health.TryGetProperty("configFile", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.String ? c.GetString() : null;
        report.Facts["service"] = new { url, ok, configFile = loaded, problems };
        if (ok)
        {
            report.Check(true, $"service at {url}: healthy");
        }
        else
        {
            report.Warn($"service at {url}: reports {problems.Count} problem(s)", problems);
        }

        if (loaded is null)
        {
            report.Note($"service at {url}: does not say which config it loaded (an older build)");
        }
        else if (!string.Equals(loaded, configFile, StringComparison.Ordinal))
        {
            report.Warn($"service at {url}: runs with config {Security.TerminalText.Neutralize(loaded)}, but this doctor checked {configFile}", fix: $"run 'claude-hooks doctor --config {Security.TerminalText.Neutralize(loaded)}' (or set CLAUDE_HOOKS_CONFIG) to check what the service runs");
        }
    }

    /// <summary>
    /// Whether doctor may send the API token to the service at <paramref name="service"/>: only over https or to a
    /// loopback address. Over plain http to another host anyone on the path reads it, and --url or CLAUDE_HOOKS_URL
    /// may name any host at all; from loopback the health answer needs no token anyway.
    /// </summary>
    internal static bool MaySendToken(Uri service) => service.Scheme == Uri.UriSchemeHttps || service.IsLoopback;

    private static void CheckCredentials(CommandContext context, AgentsConfig config, Action<bool, string, string?> report)
    {
        var credentials = new AgentCredentials(context.Paths);
        foreach (var agent in config.Agents)
        {
            Check(() => credentials.ReadForgeToken(agent), $"agent {agent.Name}: forge token {credentials.ForgeTokenFile(agent)}", report);
            if (agent.ClaudeAuth.Kind == ClaudeAuthKind.CredentialsDirectory)
            {
                Check(() => Gateway.ModelCredential.Read(agent, TimeProvider.System), $"agent {agent.Name}: Claude login in {agent.ClaudeAuth.Path} (read by the gateway at each request)", report);
            }
            else
            {
                Check(() => AgentCredentials.ReadClaudeAuth(agent), $"agent {agent.Name}: Claude auth {agent.ClaudeAuth.ConfigKey} {agent.ClaudeAuth.Path}", report);
            }
        }
    }

    /// <summary>
    /// Per local agent: a warning that lists what its tasks are not isolated from, then what its tasks need on this
    /// host (the CLI's user, the CLI, setpriv and setsid).
    /// </summary>
    private static void CheckLocalAgents(AgentsConfig config, DoctorReport doctor, Action<bool, string, string?> report)
    {
        foreach (var agent in config.Agents.Where(a => a.IsLocal))
        {
            var gaps = Agents.LocalMode.Gaps(agent).ToList();
            if (Agents.LocalMode.ForgeWork(config, agent) is { Count: > 0 } work)
            {
                gaps.Add($"it takes forge work ({string.Join(", ", work)}){(agent.Container.AllowLocalForForge ? ", allowed by container.allow_local_for_forge" : "; serve refuses it until agents." + agent.Name + ".container.allow_local_for_forge is true")}");
            }

            if (!Agents.HostUser.ServiceIsRoot && UserGroups().Contains("docker"))
            {
                gaps.Add("this user is in the docker group: the agent can reach the Docker socket, which is root on the host");
            }

            doctor.Warn($"agent {agent.Name}: runs Claude Code on the host (container.runtime \"local\"), not in a sandbox:", gaps);

            Check(() => Agents.HostUser.Resolve(agent), $"agent {agent.Name}: host user for its CLI ({(Agents.HostUser.ServiceIsRoot ? $"agents.{agent.Name}.container.user \"{agent.Container.User}\"" : "the service's own")})", report);
            Check(() => Agents.LocalRunner.Tools.Find(agent), $"agent {agent.Name}: Claude Code CLI \"{agent.Runner.LocalCli}\" (agents.{agent.Name}.runner.local_cli), setpriv and setsid", report);
        }
    }

    private static IReadOnlyList<string> UserGroups()
    {
        try
        {
            using var id = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("id", ["-Gn"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var groups = id.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            id.WaitForExit();
            return groups;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }

    /// <summary>Every container runtime the config names (an agent's or a repository's), with the keys that name it; "local" is no engine runtime.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlyList<string>> ConfiguredRuntimes(AgentsConfig config) =>
        config.Agents.Where(a => a.Container.Runtime is not null && !a.IsLocal).Select(a => (Runtime: a.Container.Runtime!, Key: $"agents.{a.Name}.container.runtime"))
            .Concat(config.Repositories.Where(r => r.Container.Runtime is not null).Select(r => (Runtime: r.Container.Runtime!, Key: r.KeyPath("container.runtime"))))
            .GroupBy(r => r.Runtime, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(r => r.Key)], StringComparer.Ordinal);

    /// <summary>How to make a runtime the config names available to the engine.</summary>
    internal static string RuntimeFix(string runtime, IReadOnlyList<string> keys, IEnumerable<string> available)
    {
        var install = runtime switch
        {
            "runsc" => "install gVisor's runsc and register it in /etc/docker/daemon.json (\"runtimes\": { \"runsc\": { \"path\": \"/usr/local/bin/runsc\" } }), then restart dockerd",
            "sysbox-runc" => "install Sysbox (its package registers sysbox-runc with dockerd), then restart dockerd",
            "kata-runtime" or "kata" => "install Kata Containers and register its runtime in /etc/docker/daemon.json, then restart dockerd",
            _ => $"install {runtime} and register it in /etc/docker/daemon.json under \"runtimes\", then restart dockerd",
        };
        return $"{install}; or remove {string.Join(" and ", keys)} (the engine has: {string.Join(", ", available)})";
    }

    private static async Task CheckEngineAsync(DockerClient docker, AgentsConfig config, Action<bool, string, string?> report, CancellationToken cancellationToken)
    {
        var info = await docker.System.GetSystemInfoAsync(cancellationToken);
        foreach (var (runtime, keys) in ConfiguredRuntimes(config))
        {
            report(info.Runtimes?.ContainsKey(runtime) ?? false, $"runtime {runtime} ({string.Join(", ", keys)})", RuntimeFix(runtime, keys, info.Runtimes?.Keys ?? []));
        }

        config = config with { Agents = Agents.LocalMode.Containerised(config) };
        var status = await new EngineHealth(docker, config).CheckAsync(cancellationToken);
        foreach (var problem in status.Problems)
        {
            report(false, problem.Split(';')[0], problem.Contains(';', StringComparison.Ordinal) ? problem[(problem.IndexOf(';', StringComparison.Ordinal) + 1)..].Trim() : null);
        }

        if (config.Agents.Count > 0)
        {
            report(status.ImageAvailable, $"images ({string.Join(", ", config.Agents.Select(a => a.Image).Distinct(StringComparer.Ordinal))})", "run 'claude-hooks images build'");
            report(status.NetworkExists, "agent networks", "run 'claude-hooks containers up'");
        }
        foreach (var agent in status.Agents.Where(a => a.State != "missing"))
        {
            var healthy = agent.State == "running" && agent.Health is "healthy" or "starting" or "none";
            report(healthy, $"agent {agent.Name}: container {agent.Container} {agent.State}, health {agent.Health}", $"run 'claude-hooks containers up {agent.Name}', then 'claude-hooks containers logs {agent.Name}'");
        }
    }

    private static void Check(Action action, string what, Action<bool, string, string?> report)
    {
        try
        {
            action();
            report(true, what, null);
        }
        catch (Exception e) when (e is CredentialException or ConfigException or ContainerOperationException or Gateway.GatewayException or Agents.LocalModeException)
        {
            report(false, what, e.Message);
        }
    }
}
