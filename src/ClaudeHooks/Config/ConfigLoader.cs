using System.Text.Json;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Config;

/// <summary>Loads and validates <c>config/agents.json</c>, reporting every problem with file, key and fix.</summary>
internal static partial class ConfigLoader
{
    private static readonly string[] TopKeys = ["container_prefix", "images", "model", "workdir", "service", "forge", "agents", "repositories", "budgets"];
    private static readonly string[] ForgeKeys = ["public_url", "reconcile_interval", "max_webhook_bytes", "repositories"];
    private static readonly string[] ForgeRepositoryKeys = ["kind", "url", "api_url", "clone_url", "webhook_secret_file", "flows", "merge_style", "authorized_users", "egress_allow", "merge_requires_human_approval"];
    private static readonly string[] ServiceKeys = ["lease", "drain_timeout", "max_attempts", "max_prompt_bytes", "allowed_hosts", "max_task_event_bytes", "egress_retention", "event_retention", "session_ttl", "link_ttl", "min_free_disk", "log_format", "otlp_endpoint", "metrics_open_to_loopback"];
    private static readonly string[] WorkdirKeys = ["allow_local_repos", "stale_after"];
    private static readonly string[] RunnerKeys = ["timeout", "idle_timeout", "max_turns", "max_budget_usd", "permission_mode", "allowed_tools", "disallowed_tools", "model", "prompt_file", "local_cli"];
    private static readonly string[] ImageKeys = ["default", "extra_ca_bundle", "selectable"];
    private static readonly string[] RepositoryKeys = ["image", "stack", "egress_allow", "agents", "prompt", "prompt_file", "runner", "container", "setup", "setup_timeout"];
    private static readonly string[] RepositoryRunnerKeys = ["timeout", "idle_timeout", "max_turns", "max_budget_usd"];
    private static readonly string[] RepositoryContainerKeys = ["runtime", "memory", "cpus", "pids"];

    /// <summary>Keys that would hand an agent the host's Docker socket: always refused, with why and what to use instead.</summary>
    private static readonly string[] DockerSocketKeys = ["docker_socket", "docker_access"];
    private static readonly string[] ModelKeys = ["base_url"];
    private static readonly string[] AgentKeys = ["role", "forge_user", "image", "claude_auth", "container", "runner", "max_concurrent_tasks", "warm_sandboxes", "egress_allow", "github_app"];
    private static readonly string[] AuthKeys = ["oauth_token_file", "api_key_file", "credentials_host_dir", "credentials_host_path"];
    private static readonly string[] ContainerKeys =
    [
        "memory", "memory_swap", "cpus", "pids", "runtime", "network", "user", "cap_drop_all", "cap_add",
        "no_new_privileges", "seccomp", "read_only_rootfs", "tmp_size", "network_acknowledged", "allow_local_for_forge",
        .. DockerSocketKeys,
    ];

    private static readonly HashSet<string> ReservedNetworks = new(StringComparer.Ordinal) { "host", "bridge", "default" };

    public static AgentsConfig Load(string path, ClaudeHooksPaths paths)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException([$"{path}: file not found; pass --config PATH, set ${ClaudeHooksPaths.ConfigVariable}, or copy config/agents.json from the repository"]);
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([$"{path}: cannot be read ({e.Message}); check its permissions"]);
        }

        return Parse(path, text, paths);
    }

    public static AgentsConfig Parse(string file, string text, ClaudeHooksPaths paths)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}, column {e.BytePositionInLine + 1}: " : "";
            throw new ConfigException([$"{file}: {where}not valid JSON ({FirstSentence(e.Message)}); fix the syntax"]);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException([$"{file}: the top level must be an object {{ \"agents\": {{ ... }} }}"]);
            }

            var errors = new List<string>();
            var root = new JsonObjectReader(file, "", document.RootElement, errors);
            var config = Read(root, paths, errors);
            root.Finish(TopKeys);
            return errors.Count == 0 ? config : throw new ConfigException(errors);
        }
    }

    private static AgentsConfig Read(JsonObjectReader root, ClaudeHooksPaths paths, List<string> errors)
    {
        var prefix = root.String("container_prefix", AgentsConfig.DefaultPrefix)!;
        if (!PrefixPattern().IsMatch(prefix))
        {
            root.Error("container_prefix", $"\"{prefix}\" is not usable in container names; use lowercase letters, digits, '-', '_' or '.', starting with a letter or digit, at most 40 characters");
        }

        var images = root.Object("images");
        var ownDefault = images?.String("default");
        var defaultImage = ownDefault ?? Containers.Stacks.BaseImage;
        CheckImage(images ?? root, images is null ? "images.default" : "default", defaultImage);
        var caBundle = images?.String("extra_ca_bundle");
        var selectable = new List<string>();
        foreach (var entry in images?.StringList("selectable") ?? [])
        {
            var image = Containers.Stacks.IsStack(entry) ? Containers.Stacks.Image(entry) : entry;
            if (!ImagePattern().IsMatch(image))
            {
                images!.Error("selectable", $"\"{entry}\" is neither a stack ({string.Join(", ", Containers.Stacks.All)}) nor an image reference such as \"claude-hooks/custom-web:latest\"");
            }
            else
            {
                selectable.Add(image);
            }
        }

        images?.Finish(ImageKeys);

        var model = root.Object("model");
        Uri? baseUrl = null;
        if (model?.String("base_url") is { } rawUrl)
        {
            if (Uri.TryCreate(rawUrl, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.Host.Length > 0)
            {
                baseUrl = parsed;
            }
            else
            {
                model.Error("base_url", $"\"{rawUrl}\" is not an http(s) URL; use a form such as \"https://api.example.com\"");
            }
        }

        model?.Finish(ModelKeys);

        var workdirReader = root.Object("workdir");
        var workdir = workdirReader is null ? WorkdirSettings.Default : new WorkdirSettings(
            workdirReader.Bool("allow_local_repos", WorkdirSettings.Default.AllowLocalRepos),
            workdirReader.Duration("stale_after", WorkdirSettings.Default.StaleAfter));
        workdirReader?.Finish(WorkdirKeys);

        var serviceReader = root.Object("service");
        var service = serviceReader is null ? ServiceSettings.Default : new ServiceSettings(
            serviceReader.Duration("lease", ServiceSettings.Default.Lease),
            serviceReader.Duration("drain_timeout", ServiceSettings.Default.DrainTimeout),
            (int)serviceReader.Integer("max_attempts", ServiceSettings.Default.MaxAttempts, min: 1, max: 100),
            (int)serviceReader.Integer("max_prompt_bytes", ServiceSettings.Default.MaxPromptBytes, min: 1024, max: 16 * 1024 * 1024),
            serviceReader.StringList("allowed_hosts"));
        if (serviceReader is not null)
        {
            service = service with
            {
                EgressRetention = serviceReader.Duration("egress_retention", ServiceSettings.Default.EgressRetention),
                EventRetention = serviceReader.Duration("event_retention", ServiceSettings.Default.EventRetention),
                SessionTtl = serviceReader.Duration("session_ttl", ServiceSettings.Default.SessionTtl),
                LinkTtl = serviceReader.Duration("link_ttl", ServiceSettings.Default.LinkTtl),
            };
        }

        if (serviceReader is not null)
        {
            service = service with
            {
                MaxTaskEventBytes = serviceReader.Integer("max_task_event_bytes", ServiceSettings.DefaultMaxTaskEventBytes, min: ServiceSettings.MinTaskEventBytes, max: ServiceSettings.MaxTaskEventBytesLimit),
            };
        }

        if (serviceReader is not null)
        {
            service = service with { MinFreeDisk = serviceReader.Size("min_free_disk", ServiceSettings.DefaultMinFreeDisk, min: 1L << 20) };
        }

        service = serviceReader is null ? service : ReadTelemetry(serviceReader, service);
        serviceReader?.Finish(ServiceKeys);
        if (service.DrainTimeout > ShutdownBudget.MaxDrainTimeout)
        {
            serviceReader!.Error("drain_timeout", ShutdownBudget.TooLong(service.DrainTimeout, ServiceSettings.Default.DrainTimeout));
        }

        if (service.Lease < TimeSpan.FromSeconds(2))
        {
            serviceReader!.Error("lease", "is too short for heartbeats to renew it; use at least 2s (default 60s)");
        }

        if (service.SessionTtl < TimeSpan.FromMinutes(5) || service.SessionTtl > TimeSpan.FromDays(30))
        {
            serviceReader!.Error("session_ttl", $"{Duration.Format(service.SessionTtl)} is outside 5m to 30d; a dashboard sign-in lasts that long (default 12h)");
        }

        if (service.LinkTtl < TimeSpan.FromMinutes(5) || service.LinkTtl > TimeSpan.FromDays(90))
        {
            serviceReader!.Error("link_ttl", $"{Duration.Format(service.LinkTtl)} is outside 5m to 90d; a tracking comment's read-only link opens its task that long (default 14d)");
        }

        if (service.EgressRetention < TimeSpan.FromHours(1))
        {
            serviceReader!.Error("egress_retention", $"{Duration.Format(service.EgressRetention)} is shorter than the hourly purge; use at least 1h (default 14d)");
        }

        if (service.EventRetention < TimeSpan.FromHours(1))
        {
            serviceReader!.Error("event_retention", $"{Duration.Format(service.EventRetention)} is shorter than the hourly purge; use at least 1h (default {Duration.Format(ServiceSettings.Default.EventRetention)})");
        }

        var agents = new List<AgentConfig>();
        var agentsObject = root.Object("agents", required: true);
        if (agentsObject is not null)
        {
            foreach (var (name, reader) in agentsObject.Entries())
            {
                if (!AgentNamePattern().IsMatch(name))
                {
                    agentsObject.Error(name, "is not a valid agent name; use lowercase letters, digits and '-', starting with a letter, at most 24 characters");
                }

                if (reader is not null && ReadAgent(name, reader, defaultImage, paths, Path.GetDirectoryName(Path.GetFullPath(root.File))!) is { } agent)
                {
                    agents.Add(agent);
                }
            }

            if (agents.Count == 0 && errors.Count == 0)
            {
                agentsObject.Error("", "defines no agent; add at least one, for example \"dev\": { \"role\": \"dev\", \"forge_user\": \"dev-bot\" }");
            }

            foreach (var duplicate in agents.GroupBy(a => a.ForgeUser, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            {
                agentsObject.Error(duplicate.Last().Name + ".forge_user", $"\"{duplicate.Key}\" is also used by {string.Join(", ", duplicate.Select(a => a.Name))}; give each agent its own forge account");
            }
        }

        var forge = ReadForge(root.Object("forge"), paths, agents);
        var repositories = ReadRepositories(root.Object("repositories"), forge, agents, workdir, Path.GetDirectoryName(Path.GetFullPath(root.File))!);
        var imageSettings = new ImageSettings(defaultImage, caBundle is null ? null : paths.Resolve(caBundle)) { DefaultSet = ownDefault is not null, Selectable = selectable };
        return new AgentsConfig(root.File, prefix, imageSettings, new ModelSettings(baseUrl), workdir, service, forge, agents)
        {
            GatewayRoot = Path.Combine(paths.Home, "gateway"),
            SandboxCaFolder = Path.Combine(paths.Home, "sandbox-ca"),
            Repositories = repositories,
            Budgets = BudgetConfigReader.Read(root.Object("budgets"), [.. agents.Select(a => a.Name)]),
        };
    }

    private static ForgeSettings? ReadForge(JsonObjectReader? reader, ClaudeHooksPaths paths, List<AgentConfig> agents)
    {
        if (reader is null)
        {
            return null;
        }

        var publicUrl = Url(reader, "public_url", "http://127.0.0.1:8080");
        var interval = reader.Duration("reconcile_interval", TimeSpan.FromMinutes(5));
        var maxBytes = (int)reader.Integer("max_webhook_bytes", 1024 * 1024, min: 16 * 1024, max: 25 * 1024 * 1024);
        var repositories = new List<ForgeRepository>();
        var reposReader = reader.Object("repositories", required: true);
        foreach (var (name, repo) in reposReader?.Entries() ?? [])
        {
            if (!RepoNamePattern().IsMatch(name))
            {
                reposReader!.Error(name, "is not owner/repo; name each repository as it appears on the forge, such as \"acme/widgets\"");
                continue;
            }

            if (repo is null)
            {
                continue;
            }

            var kindText = repo.String("kind", "forgejo")!;
            var kind = kindText switch
            {
                "forgejo" or "gitea" => ForgeKind.Forgejo,
                "github" => ForgeKind.GitHub,
                _ => (ForgeKind?)null,
            };
            if (kind is null)
            {
                repo.Error("kind", $"\"{kindText}\" is not a forge; use \"forgejo\" (Forgejo or Gitea) or \"github\" (github.com or GitHub Enterprise Server)");
            }

            var url = Url(repo, "url", null);
            var apiUrl = repo.Has("api_url") ? Url(repo, "api_url", null) : null;
            var secret = repo.String("webhook_secret_file", required: true);
            var flows = repo.Has("flows") ? repo.StringList("flows") : ForgeSettings.FlowNames;
            foreach (var flow in flows.Where(f => !ForgeSettings.FlowNames.Contains(f)))
            {
                repo.Error("flows", $"\"{flow}\" is not a flow; use {string.Join(", ", ForgeSettings.FlowNames)}");
            }

            var style = repo.String("merge_style", "merge")!;
            if (!ForgeSettings.MergeStyles.Contains(style))
            {
                repo.Error("merge_style", $"\"{style}\" is not a merge style; use {string.Join(", ", ForgeSettings.MergeStyles)}");
            }
            else if (kind == ForgeKind.GitHub && !ForgeSettings.GitHubMergeStyles.Contains(style))
            {
                repo.Error("merge_style", $"\"{style}\" is not a merge style GitHub offers; use {string.Join(", ", ForgeSettings.GitHubMergeStyles)}");
            }

            var users = repo.StringList("authorized_users");
            var humanApproval = repo.Bool("merge_requires_human_approval", false);
            var repoAllow = ReadEgress(repo, $"forge.repositories.{name}.egress_allow");
            var cloneUrl = repo.String("clone_url");
            if (cloneUrl is not null)
            {
                try
                {
                    Workdir.RepositoryUrl.Parse(cloneUrl, allowLocal: false);
                }
                catch (Workdir.InvalidRepositoryException e)
                {
                    repo.Error("clone_url", e.Message);
                }
            }

            repo.Finish(ForgeRepositoryKeys);
            if (url is not null && secret is not null)
            {
                repositories.Add(new ForgeRepository(name, url, paths.Resolve(secret), new HashSet<string>(flows, StringComparer.Ordinal), style, users, cloneUrl, repoAllow)
                {
                    MergeRequiresHumanApproval = humanApproval,
                    Kind = kind ?? ForgeKind.Forgejo,
                    ApiUrlOverride = apiUrl,
                });
            }
        }

        reader.Finish(ForgeKeys);
        foreach (var (role, flow) in new[] { (AgentRole.Dev, "implement"), (AgentRole.Reviewer, "review"), (AgentRole.Lead, "merge") })
        {
            if (repositories.Any(r => r.Runs(flow)) && agents.All(a => a.Role != role))
            {
                reader.Error("repositories", $"the {flow} flow needs an agent with role \"{role.ToString().ToLowerInvariant()}\"; add one or drop \"{flow}\" from the repositories' flows");
            }
        }

        // GitHub assigns issues and asks for reviews of user accounts only: an App is neither assignable nor requestable.
        foreach (var (role, flow, what) in new[] { (AgentRole.Dev, "implement", "an issue be assigned to"), (AgentRole.Reviewer, "review", "a review be requested of") })
        {
            foreach (var agent in agents.Where(a => a.Role == role && a.GitHubApp is not null))
            {
                if (repositories.FirstOrDefault(r => r.Kind == ForgeKind.GitHub && r.Runs(flow)) is { } repository)
                {
                    reader.Error("repositories", $"{repository.FullName} runs the {flow} flow, but GitHub does not let {what} a GitHub App, so agent {agent.Name} (github_app) would never be asked; " +
                        $"give {agent.Name} a GitHub account with a fine-grained token in tokens/{agent.Name} instead of agents.{agent.Name}.github_app, or drop \"{flow}\" from the repository's flows");
                }
            }
        }

        return publicUrl is null ? null : new ForgeSettings(publicUrl, interval, maxBytes, repositories);
    }

    internal const string DockerSocketRefusal =
        "is refused: the host's Docker socket in a sandbox is root on the host (any task could start a privileged container, read every credential and reach every network), " +
        "which is what the sandbox exists to prevent. Remove the key; for Docker-in-Docker or stronger isolation set container.runtime to a runtime the engine offers, such as \"sysbox-runc\" or gVisor's \"runsc\"";

    /// <summary>
    /// The <c>repositories</c> section: owner/name keys must name a forge repository, URL patterns something the
    /// service may clone; every agent, stack, image and limit must exist and may only tighten the agents'.
    /// </summary>
    private static List<RepositorySettings> ReadRepositories(JsonObjectReader? reader, ForgeSettings? forge, List<AgentConfig> agents, WorkdirSettings workdir, string configDirectory)
    {
        var result = new List<RepositorySettings>();
        foreach (var (key, repo) in reader?.Entries() ?? [])
        {
            var isPattern = key.Contains("://", StringComparison.Ordinal) || key.StartsWith('/');
            if (isPattern)
            {
                if (!RepositorySettings.PatternSyntax().IsMatch(key) || key.Contains("**", StringComparison.Ordinal))
                {
                    reader!.Error(key, "is not a repository URL pattern; use a form such as \"https://git.example/acme/*\" (* stands for one path segment or part of one)");
                    continue;
                }

                if (!workdir.AllowLocalRepos && (key.StartsWith('/') || key.StartsWith("file://", StringComparison.Ordinal)))
                {
                    reader!.Error(key, "matches only local paths, which no task may use (workdir.allow_local_repos is off); use the repositories' https URLs or allow local repositories");
                    continue;
                }

                if (RepositorySettings.PatternIdentity(key).Split('/').Length < 3)
                {
                    reader!.Error(key, "names no owner and repository; a pattern needs host/owner/name parts, such as \"https://git.example/acme/*\"");
                    continue;
                }
            }
            else if (!RepoNamePattern().IsMatch(key))
            {
                reader!.Error(key, "is neither owner/name (a repository in forge.repositories) nor a URL pattern such as \"https://git.example/acme/*\"");
                continue;
            }
            else if (forge?.Find(key) is null)
            {
                reader!.Error(key, $"matches no repository in forge.repositories{(forge is null ? " (there is no forge section)" : $" ({string.Join(", ", forge.Repositories.Select(r => r.FullName))})")}; add it there, or use a URL pattern such as \"https://git.example/{key}\" for task API work");
                continue;
            }

            if (repo is null)
            {
                continue;
            }

            var image = repo.String("image");
            var stack = repo.String("stack");
            if (image is not null && stack is not null)
            {
                repo.Error("stack", "is set together with image; keep one (stack names a built-in toolchain image, image any other)");
            }

            if (image is not null)
            {
                CheckImage(repo, "image", image);
            }

            if (stack is not null && !Containers.Stacks.IsStack(stack))
            {
                repo.Error("stack", $"\"{stack}\" is not a stack; use one of {string.Join(", ", Containers.Stacks.All)}, or set image to an image of your own");
            }

            var allow = ReadEgress(repo, $"repositories.{key}.egress_allow");
            IReadOnlyList<string>? allowed = repo.Has("agents") ? repo.StringList("agents") : null;
            foreach (var name in allowed ?? [])
            {
                if (agents.All(a => a.Name != name))
                {
                    repo.Error("agents", $"\"{name}\" is not an agent; configured agents: {string.Join(", ", agents.Select(a => a.Name))}");
                }
            }

            if (allowed is { Count: 0 })
            {
                repo.Error("agents", "is empty, so no agent may work on the repository; list the agents that may, or remove the key for all");
            }

            var prompt = repo.String("prompt");
            var promptFile = repo.String("prompt_file") is { } file ? Path.GetFullPath(file, configDirectory) : null;
            if (prompt is not null && promptFile is not null)
            {
                repo.Error("prompt_file", "is set together with prompt; keep one");
            }

            if (promptFile is not null && !File.Exists(promptFile))
            {
                repo.Error("prompt_file", $"{promptFile} does not exist; write the repository's instructions there or remove the key");
            }

            var setup = repo.String("setup");
            if (setup is not null && (setup.Contains('\n', StringComparison.Ordinal) || setup.Contains('\0', StringComparison.Ordinal)))
            {
                repo.Error("setup", "must be one line (a shell command such as \"npm ci\"); put longer setups in a script in the repository and run that");
            }

            var setupTimeout = repo.Duration("setup_timeout", RepositorySettings.DefaultSetupTimeout);
            var runner = ReadRepositoryRunner(repo.Object("runner"));
            var container = ReadRepositoryContainer(repo.Object("container"));
            repo.Finish(RepositoryKeys);

            var settings = new RepositorySettings(key, image, stack, allow, allowed, prompt, promptFile, runner, container, setup, setupTimeout);
            CheckWithinAgents(repo, settings, agents);
            result.Add(settings);
        }

        // The forge's own entries are found by key; patterns are tried in file order after them.
        return [.. result.Where(r => !r.IsPattern), .. result.Where(r => r.IsPattern)];
    }

    private static RepositoryRunnerLimits ReadRepositoryRunner(JsonObjectReader? reader)
    {
        if (reader is null)
        {
            return RepositoryRunnerLimits.None;
        }

        var limits = new RepositoryRunnerLimits(
            reader.Has("timeout") ? reader.Duration("timeout", TimeSpan.Zero) : null,
            reader.Has("idle_timeout") ? reader.Duration("idle_timeout", TimeSpan.Zero) : null,
            reader.Has("max_turns") ? (int)reader.Integer("max_turns", 1, min: 1, max: 10_000) : null,
            reader.Has("max_budget_usd") ? (decimal)reader.Number("max_budget_usd", 0, min: 0.01, max: 10_000) : null);
        reader.Finish(RepositoryRunnerKeys);
        return limits;
    }

    private static RepositoryContainerLimits ReadRepositoryContainer(JsonObjectReader? reader)
    {
        if (reader is null)
        {
            return RepositoryContainerLimits.None;
        }

        var runtime = reader.String("runtime");
        if (runtime is not null && (!RuntimePattern().IsMatch(runtime) || runtime == ContainerSettings.LocalRuntime))
        {
            reader.Error("runtime", runtime == ContainerSettings.LocalRuntime
                ? "\"local\" is an agent's choice (agents.<name>.container.runtime), not a repository's; a repository can only ask for a container runtime"
                : $"\"{runtime}\" is not a runtime name; use one listed by 'docker info' (for example \"runc\", \"runsc\" or \"sysbox-runc\")");
        }

        foreach (var key in DockerSocketKeys.Where(reader.Has))
        {
            reader.Error(key, DockerSocketRefusal);
        }

        var limits = new RepositoryContainerLimits(
            runtime,
            reader.Has("memory") ? reader.Size("memory", 0, min: 6L << 20) : null,
            reader.Has("cpus") ? reader.Number("cpus", 0, min: 0.01, max: 1024) : null,
            reader.Has("pids") ? reader.Integer("pids", 0, min: 16, max: 4_194_304) : null);
        reader.Finish([.. RepositoryContainerKeys, .. DockerSocketKeys]);
        return limits;
    }

    /// <summary>A repository may only lower an agent's limits: a value above an agent that may work on it is an error naming both.</summary>
    private static void CheckWithinAgents(JsonObjectReader repo, RepositorySettings settings, List<AgentConfig> agents)
    {
        foreach (var agent in agents.Where(a => settings.Allows(a.Name)))
        {
            void Above(string key, bool above, string value, string limit)
            {
                if (above)
                {
                    repo.Error(key, $"{value} is above agent {agent.Name}'s {limit}; a repository can only tighten an agent's limits (lower it, or list in agents only the agents it fits)");
                }
            }

            var runner = settings.Runner;
            Above("runner.timeout", runner.Timeout > agent.Runner.Timeout, Duration.Format(runner.Timeout ?? TimeSpan.Zero), $"runner.timeout {Duration.Format(agent.Runner.Timeout)}");
            Above("runner.idle_timeout", runner.IdleTimeout > agent.Runner.IdleTimeout, Duration.Format(runner.IdleTimeout ?? TimeSpan.Zero), $"runner.idle_timeout {Duration.Format(agent.Runner.IdleTimeout)}");
            Above("runner.max_turns", runner.MaxTurns > agent.Runner.MaxTurns, $"{runner.MaxTurns}", $"runner.max_turns {agent.Runner.MaxTurns}");
            Above("runner.max_budget_usd", runner.MaxBudgetUsd > agent.Runner.MaxBudgetUsd, $"{runner.MaxBudgetUsd}", $"runner.max_budget_usd {agent.Runner.MaxBudgetUsd}");
            var container = settings.Container;
            Above("container.memory", container.MemoryBytes > agent.Container.MemoryBytes, ByteSize.Format(container.MemoryBytes ?? 0), $"container.memory {ByteSize.Format(agent.Container.MemoryBytes)}");
            Above("container.cpus", container.Cpus > agent.Container.Cpus, $"{container.Cpus}", $"container.cpus {agent.Container.Cpus}");
            Above("container.pids", container.PidsLimit > agent.Container.PidsLimit, $"{container.PidsLimit}", $"container.pids {agent.Container.PidsLimit}");
            if (container.Runtime is { } runtime && agent.Container.Runtime is { } own && !agent.IsLocal && runtime != own)
            {
                repo.Error("container.runtime", $"\"{runtime}\" would replace agent {agent.Name}'s runtime \"{own}\"; a repository can only choose a runtime for agents that set none (remove the key, or list in agents only the agents it fits)");
            }

            if (settings.Setup is not null && settings.SetupTimeout > settings.Runner.Apply(agent.Runner).Timeout)
            {
                repo.Error("setup_timeout", $"{Duration.Format(settings.SetupTimeout)} is above the {Duration.Format(settings.Runner.Apply(agent.Runner).Timeout)} a task of agent {agent.Name} may run; the setup counts against that limit, so lower it");
            }

            if (agent.IsLocal && (settings.RequestedImage is not null || container.Runtime is not null))
            {
                repo.Error(settings.RequestedImage is not null ? (settings.Stack is not null ? "stack" : "image") : "container.runtime",
                    $"cannot apply to agent {agent.Name}, which runs on the host (container.runtime \"local\") with no image; list in agents only containerised agents, or give {agent.Name} a container runtime");
            }
        }
    }

    private static readonly string[] GitHubAppKeys = ["app_id", "private_key_file"];

    /// <summary>An agent's <c>github_app</c>: the App's numeric id and its private key's file (under the claude-hooks home when relative).</summary>
    private static GitHubAppSettings? ReadGitHubApp(JsonObjectReader? reader, ClaudeHooksPaths paths)
    {
        if (reader is null)
        {
            return null;
        }

        if (!reader.Has("app_id"))
        {
            reader.Error("app_id", "is missing; give the App's numeric id, shown on its settings page (\"App ID\")");
        }

        var id = reader.Integer("app_id", 0, min: 1, max: long.MaxValue);
        var key = reader.String("private_key_file", required: true);
        reader.Finish(GitHubAppKeys);
        return id > 0 && key is not null ? new GitHubAppSettings(id, paths.Resolve(key)) : null;
    }

    private static Uri? Url(JsonObjectReader reader, string key, string? fallback)
    {
        var text = reader.String(key, fallback, required: fallback is null);
        if (text is null)
        {
            return null;
        }

        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.Query.Length == 0)
        {
            return url;
        }

        reader.Error(key, $"\"{text}\" is not an http(s) URL; use a form such as \"https://forge.example\"");
        return null;
    }

    private static AgentConfig? ReadAgent(string name, JsonObjectReader agent, string defaultImage, ClaudeHooksPaths paths, string configDirectory)
    {
        var roleText = agent.String("role", required: true);
        AgentRole? role = roleText switch
        {
            null => null,
            "lead" => AgentRole.Lead,
            "dev" => AgentRole.Dev,
            "reviewer" => AgentRole.Reviewer,
            _ => null,
        };
        if (roleText is not null && role is null)
        {
            agent.Error("role", $"\"{roleText}\" is not a role; use \"lead\", \"dev\" or \"reviewer\"");
        }

        var forgeUser = agent.String("forge_user", required: true);
        if (forgeUser is not null && !ForgeUserPattern().IsMatch(forgeUser))
        {
            agent.Error("forge_user", $"\"{forgeUser}\" is not a forge user name; use letters, digits, '-', '_' or '.' (and \"[bot]\" at the end for a GitHub App)");
        }

        var ownImage = agent.String("image");
        if (ownImage is not null && Containers.Stacks.IsStack(ownImage))
        {
            ownImage = Containers.Stacks.Image(ownImage);
        }

        var image = ownImage ?? defaultImage;
        CheckImage(agent, "image", image);

        var auth = ReadAuth(name, agent.Object("claude_auth"), paths);
        var overrides = new List<string>();
        var container = ReadContainer(agent.Object("container"), overrides);
        var runner = role is null ? null : ReadRunner(agent.Object("runner"), role.Value, configDirectory);
        var concurrency = (int)agent.Integer("max_concurrent_tasks", 1, min: 1, max: 16);
        var warm = (int)agent.Integer("warm_sandboxes", container?.Runtime == ContainerSettings.LocalRuntime ? 0 : 1, min: 0, max: 16);
        if (warm > 0 && container?.Runtime == ContainerSettings.LocalRuntime)
        {
            agent.Error("warm_sandboxes", "a local agent (container.runtime \"local\") runs on the host and has no sandboxes to keep warm; remove the key");
        }

        var allow = ReadEgress(agent, $"agents.{name}.egress_allow");
        var app = ReadGitHubApp(agent.Object("github_app"), paths);
        if (app is not null && forgeUser is not null && !forgeUser.EndsWith("[bot]", StringComparison.Ordinal))
        {
            agent.Error("forge_user", $"\"{forgeUser}\" is not a GitHub App's account; an agent with github_app acts as the App, so set forge_user to \"<app-slug>[bot]\"");
        }

        agent.Finish(AgentKeys);

        return role is null || forgeUser is null || auth is null || container is null || runner is null
            ? null
            : new AgentConfig(name, role.Value, forgeUser, image, auth, container, runner, concurrency, warm, overrides, allow) { OwnImage = ownImage, GitHubApp = app };
    }

    /// <summary>An egress allowlist: exact hosts, <c>*.example.org</c> wildcards and addresses, each with an optional <c>:port</c>.</summary>
    private static IReadOnlyList<Gateway.EgressRule> ReadEgress(JsonObjectReader reader, string configKey)
    {
        var rules = new List<Gateway.EgressRule>();
        foreach (var text in reader.StringList("egress_allow"))
        {
            if (Gateway.EgressRule.Parse(text, configKey, out var error) is { } rule)
            {
                rules.Add(rule);
            }
            else
            {
                reader.Error("egress_allow", error!);
            }
        }

        return rules;
    }

    private static RunnerSettings? ReadRunner(JsonObjectReader? reader, AgentRole role, string configDirectory)
    {
        var defaultPrompt = Path.Combine(configDirectory, "prompts", $"{role.ToString().ToLowerInvariant()}.md");
        if (reader is null)
        {
            return new RunnerSettings(TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(10), 100, null, "bypassPermissions", [], [], null, defaultPrompt);
        }

        var budget = reader.Has("max_budget_usd") ? (decimal?)reader.Number("max_budget_usd", 0, min: 0.01, max: 10_000) : null;
        var settings = new RunnerSettings(
            Timeout: reader.Duration("timeout", TimeSpan.FromMinutes(60)),
            IdleTimeout: reader.Duration("idle_timeout", TimeSpan.FromMinutes(10)),
            MaxTurns: (int)reader.Integer("max_turns", 100, min: 1, max: 10_000),
            MaxBudgetUsd: budget,
            PermissionMode: reader.String("permission_mode", "bypassPermissions")!,
            AllowedTools: reader.StringList("allowed_tools"),
            DisallowedTools: reader.StringList("disallowed_tools"),
            Model: reader.String("model"),
            PromptFile: reader.String("prompt_file") is { } file ? Path.GetFullPath(file, configDirectory) : defaultPrompt,
            LocalCli: reader.String("local_cli", RunnerSettings.DefaultLocalCli)!);
        reader.Finish(RunnerKeys);

        if (!LocalCliPattern().IsMatch(settings.LocalCli) || (settings.LocalCli.Contains('/', StringComparison.Ordinal) && !Path.IsPathFullyQualified(settings.LocalCli)))
        {
            reader.Error("local_cli", $"\"{settings.LocalCli}\" is not usable; name the Claude Code CLI a local agent runs by its absolute path (such as \"/usr/local/bin/claude\") or by a name found on the service's PATH (default \"claude\")");
        }

        if (!RunnerSettings.PermissionModes.Contains(settings.PermissionMode))
        {
            reader.Error("permission_mode", $"\"{settings.PermissionMode}\" is not a permission mode; use one of {string.Join(", ", RunnerSettings.PermissionModes)}");
        }

        foreach (var tool in settings.AllowedTools.Concat(settings.DisallowedTools).Where(t => t.StartsWith('-') || t.Contains(',', StringComparison.Ordinal)))
        {
            reader.Error("allowed_tools", $"\"{tool}\" is not a tool rule; list one rule per entry, such as \"Bash(git log:*)\"");
        }

        if (settings.Model is { } model && (model.StartsWith('-') || model.Any(char.IsWhiteSpace)))
        {
            reader.Error("model", $"\"{model}\" is not a model name");
        }

        if (settings.IdleTimeout > settings.Timeout)
        {
            reader.Error("idle_timeout", $"{Duration.Format(settings.IdleTimeout)} is longer than timeout {Duration.Format(settings.Timeout)}; make it shorter");
        }

        return settings;
    }

    private static ClaudeAuth? ReadAuth(string agent, JsonObjectReader? auth, ClaudeHooksPaths paths)
    {
        if (auth is null)
        {
            return new ClaudeAuth(ClaudeAuthKind.OAuthTokenFile, paths.Resolve($"claude-auth/{agent}"), "oauth_token_file");
        }

        var given = AuthKeys.Where(auth.Has).ToList();
        foreach (var key in AuthKeys)
        {
            auth.String(key);
        }

        auth.Finish(AuthKeys);
        if (given.Count != 1)
        {
            auth.Error("", given.Count == 0
                ? "names no credential; set exactly one of oauth_token_file (recommended), api_key_file or credentials_host_dir"
                : $"sets {string.Join(" and ", given)}; keep exactly one");
            return null;
        }

        var key1 = given[0];
        var value = auth.String(key1)!;
        var resolved = paths.Resolve(value);
        return key1 switch
        {
            "oauth_token_file" => new ClaudeAuth(ClaudeAuthKind.OAuthTokenFile, resolved, key1),
            "api_key_file" => new ClaudeAuth(ClaudeAuthKind.ApiKeyFile, resolved, key1),
            "credentials_host_dir" => new ClaudeAuth(ClaudeAuthKind.CredentialsDirectory, resolved, key1),
            // The old single-file form: mount the parent directory, because a file mount pins one inode.
            _ => new ClaudeAuth(ClaudeAuthKind.CredentialsDirectory, Path.GetDirectoryName(resolved)!, key1),
        };
    }

    private static ContainerSettings? ReadContainer(JsonObjectReader? reader, List<string> overrides)
    {
        var hardened = ContainerSettings.Hardened;
        if (reader is null)
        {
            return hardened;
        }

        var memory = reader.Size("memory", hardened.MemoryBytes, min: 6L << 20);
        var settings = new ContainerSettings(
            MemoryBytes: memory,
            MemorySwapBytes: reader.Size("memory_swap", memory, min: 6L << 20),
            Cpus: reader.Number("cpus", hardened.Cpus, min: 0.01, max: 1024),
            PidsLimit: reader.Integer("pids", hardened.PidsLimit, min: 16, max: 4_194_304),
            Runtime: reader.String("runtime"),
            Network: reader.String("network"),
            User: reader.String("user", hardened.User)!,
            DropAllCapabilities: reader.Bool("cap_drop_all", hardened.DropAllCapabilities),
            CapAdd: reader.StringList("cap_add").Select(c => c.ToUpperInvariant().Replace("CAP_", "", StringComparison.Ordinal)).ToList(),
            NoNewPrivileges: reader.Bool("no_new_privileges", hardened.NoNewPrivileges),
            Seccomp: reader.String("seccomp", hardened.Seccomp)!,
            ReadOnlyRootfs: reader.Bool("read_only_rootfs", hardened.ReadOnlyRootfs),
            TmpSizeBytes: reader.Size("tmp_size", hardened.TmpSizeBytes, min: 1L << 20),
            NetworkAcknowledged: reader.Bool("network_acknowledged", false),
            AllowLocalForForge: reader.Bool("allow_local_for_forge", false));
        foreach (var key in DockerSocketKeys.Where(reader.Has))
        {
            reader.Error(key, DockerSocketRefusal);
        }

        reader.Finish(ContainerKeys);
        if (settings.AllowLocalForForge && settings.Runtime != ContainerSettings.LocalRuntime)
        {
            reader.Error("allow_local_for_forge", "only applies to runtime \"local\"; remove the key");
        }

        if (settings.Runtime == ContainerSettings.LocalRuntime && settings.Network is not null)
        {
            reader.Error("network", "a local agent runs on the host, not in a container; remove the key (its proxy variables point at the gateway)");
        }

        if (settings.MemorySwapBytes < settings.MemoryBytes)
        {
            reader.Error("memory_swap", $"{ByteSize.Format(settings.MemorySwapBytes)} is below memory {ByteSize.Format(settings.MemoryBytes)}; memory_swap counts memory plus swap, so use at least the memory value");
        }

        if (settings.Runtime is { } runtime && !RuntimePattern().IsMatch(runtime))
        {
            reader.Error("runtime", $"\"{runtime}\" is not a runtime name; use one listed by 'docker info' (for example \"runc\", \"runsc\" or \"sysbox-runc\"), or \"local\" to run Claude Code on the host");
        }

        if (settings.Network is { } network && (ReservedNetworks.Contains(network) || network.StartsWith("container:", StringComparison.Ordinal) || !NetworkPattern().IsMatch(network)))
        {
            reader.Error("network", $"\"{network}\" is not allowed; agents never share the host's or another container's network namespace nor the default bridge. Remove the key for no network but the gateway (recommended), use \"agent\" for a bridge network of the agent's own, or name a user-defined network");
        }

        if (settings.User is "root" or "0" || settings.User.StartsWith("0:", StringComparison.Ordinal))
        {
            reader.Error("user", "agents never run as root (Claude Code also refuses to skip permissions as root); remove the key to use \"claude\"");
        }

        if (settings.Seccomp is not ("default" or "unconfined"))
        {
            reader.Error("seccomp", $"\"{settings.Seccomp}\" is not supported; use \"default\" (recommended) or \"unconfined\"");
        }

        foreach (var capability in settings.CapAdd.Where(c => !LinuxCapabilities.Contains(c)))
        {
            reader.Error("cap_add", $"\"{capability}\" is not a Linux capability; use names such as \"NET_BIND_SERVICE\"");
        }

        if (settings.CapAdd.Contains("SYS_ADMIN"))
        {
            reader.Error("cap_add", "SYS_ADMIN is never granted to an agent: it amounts to root on the host; remove it");
        }

        Compare(overrides, reader, "memory", settings.MemoryBytes, hardened.MemoryBytes, ByteSize.Format);
        Compare(overrides, reader, "memory_swap", settings.MemorySwapBytes, settings.MemoryBytes, ByteSize.Format, "memory");
        Compare(overrides, reader, "cpus", settings.Cpus, hardened.Cpus, c => c.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Compare(overrides, reader, "pids", settings.PidsLimit, hardened.PidsLimit, p => p.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Compare(overrides, reader, "runtime", settings.Runtime, hardened.Runtime, r => r ?? "runc");
        Compare(overrides, reader, "network", settings.Network == "none" ? null : settings.Network, hardened.Network, n => n is null ? "none: only the gateway" : n == "agent" ? "a bridge network of its own, a route around the gateway" : $"network {n}, a route around the gateway");
        if (settings.NetworkAcknowledged && settings.Network is null or "none")
        {
            reader.Error("network_acknowledged", "acknowledges a network, but the container has none; remove the key");
        }
        Compare(overrides, reader, "user", settings.User, hardened.User, u => u);
        Compare(overrides, reader, "cap_drop_all", settings.DropAllCapabilities, hardened.DropAllCapabilities, b => b ? "true" : "false");
        Compare(overrides, reader, "cap_add", string.Join(",", settings.CapAdd), "", c => c.Length == 0 ? "none" : c);
        Compare(overrides, reader, "no_new_privileges", settings.NoNewPrivileges, hardened.NoNewPrivileges, b => b ? "true" : "false");
        Compare(overrides, reader, "seccomp", settings.Seccomp, hardened.Seccomp, s => s);
        Compare(overrides, reader, "read_only_rootfs", settings.ReadOnlyRootfs, hardened.ReadOnlyRootfs, b => b ? "true" : "false");
        Compare(overrides, reader, "tmp_size", settings.TmpSizeBytes, hardened.TmpSizeBytes, ByteSize.Format);
        return settings;
    }

    private static void Compare<T>(List<string> overrides, JsonObjectReader reader, string key, T actual, T baseline, Func<T, string> format, string? baselineName = null)
    {
        if (!EqualityComparer<T>.Default.Equals(actual, baseline))
        {
            overrides.Add($"{reader.KeyPath(key)} = {format(actual)} (hardened default: {baselineName ?? format(baseline)})");
        }
    }

    private static void CheckImage(JsonObjectReader reader, string key, string image)
    {
        if (!ImagePattern().IsMatch(image))
        {
            reader.Error(key, $"\"{image}\" is not an image reference; use a form such as \"claude-hooks/agent-base:latest\"");
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut < 0 ? message.TrimEnd('.') : message[..cut];
    }

    private static readonly HashSet<string> LinuxCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN",
        "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
        "LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST",
        "NET_RAW", "PERFMON", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT",
        "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE", "SYS_RAWIO", "SYS_RESOURCE",
        "SYS_TIME", "SYS_TTY_CONFIG", "WAKE_ALARM",
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,39}$")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex("^(/|[A-Za-z0-9._+])[A-Za-z0-9._+/-]{0,4095}$")]
    private static partial Regex LocalCliPattern();

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    private static partial Regex RepoNamePattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,23}$")]
    private static partial Regex AgentNamePattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(\[bot\])?$")]
    private static partial Regex ForgeUserPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImagePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$")]
    private static partial Regex RuntimePattern();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$")]
    private static partial Regex NetworkPattern();
}
