using System.CommandLine;
using System.Globalization;
using ClaudeHooks.Containers;
using Docker.DotNet;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks images build</c>: builds the agent base image, or toolchain stacks on top of it, through the Engine
/// API, each after its Dockerfile's audit.
/// </summary>
internal static class ImagesCommand
{
    public static Command Create()
    {
        var context = new Option<string?>("--context") { Description = "Folder holding the agent Dockerfile (default: docker/agent/base); without --stack or --all only" };
        var tag = new Option<string?>("--tag") { Description = "Image tag (default: images.default from agents.json when it names no stack, else claude-hooks/agent-base:latest); without --stack or --all only" };
        var stack = new Option<string[]>("--stack")
        {
            Description = $"Build this stack ({string.Join(", ", Stacks.All)}); repeatable. The stacks it is built from are built first when missing",
        };
        var all = new Option<bool>("--all") { Description = "Build every stack, the base first" };
        var caBundle = new Option<string?>("--ca-bundle")
        {
            Description = $"Extra CA certificates (PEM file or folder of .crt/.pem) trusted while downloading; never kept in an image (default: images.extra_ca_bundle, ${CaBundles.Variable}, then {CaBundles.HostFolder} when it holds *.crt)",
        };
        var dotnetSdk = new Option<string?>("--dotnet-sdk") { Description = "The .NET SDK the dotnet stack gets: an extracted SDK folder or a dotnet-sdk-*.tar.gz (default: the host's own SDK)" };
        var claudeCodeVersion = new Option<string?>("--claude-code-version")
        {
            Description = "Build the base with this exact Claude Code version (e.g. 2.1.330), its sha512s read from the npm registry (default: the version pinned in the Dockerfile)",
        };
        var npmRegistry = new Option<string?>("--npm-registry") { Description = $"npm registry for the CLI's and Node's downloads (default: {ClaudeCodeRelease.DefaultRegistry})" };
        var noCache = new Option<bool>("--no-cache") { Description = "Build every layer again, ignoring the engine's cache" };
        var build = new Command("build", "Build the agent base image, or toolchain stacks on top of it")
        {
            context, tag, stack, all, caBundle, dotnetSdk, claudeCodeVersion, npmRegistry, noCache,
        };
        build.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), commandContext => BuildAsync(
            commandContext,
            new BuildOptions(
                parse.GetValue(context), parse.GetValue(tag), parse.GetValue(stack) ?? [], parse.GetValue(all), parse.GetValue(caBundle), parse.GetValue(dotnetSdk),
                parse.GetValue(claudeCodeVersion), parse.GetValue(npmRegistry), parse.GetValue(noCache)),
            cancellationToken)));

        var command = new Command("images", "Build agent images");
        command.Subcommands.Add(build);
        command.Subcommands.Add(ImagesCreateCommand.Create());
        command.Subcommands.Add(ImagesResolveCommand.Create());
        command.Subcommands.Add(ImagesListCommand.Create());
        return command;
    }

    private sealed record BuildOptions(
        string? Context, string? Tag, string[] Stacks, bool All, string? CaBundle, string? DotnetSdk, string? ClaudeCodeVersion, string? NpmRegistry, bool NoCache);

    /// <summary>One image of the plan: a stack (null for the base built from <c>--context</c> under <c>--tag</c>), its folder and tag.</summary>
    private sealed record PlannedImage(string? Stack, string Directory, string Tag);

    private static async Task<int> BuildAsync(CommandContext commandContext, BuildOptions options, CancellationToken cancellationToken)
    {
        if (Usage(options) is { } usage)
        {
            await Console.Error.WriteLineAsync($"error: {usage}");
            return ExitCodes.InvalidConfig;
        }

        var config = commandContext.Config;
        var registry = options.NpmRegistry is null ? null : new Uri(options.NpmRegistry);
        var located = CaBundles.Locate(options.CaBundle, config.Images.ExtraCaBundle);
        var ca = ImageBuilder.ReadCaBundle(located?.Path);
        Console.WriteLine($"CA bundle: {located?.Path ?? "none"}");

        ClaudeCodeRelease? release = null;
        if (options.ClaudeCodeVersion is { } version)
        {
            using var http = new HttpClient(ClaudeCodeRelease.CreateHandler(ca)) { Timeout = TimeSpan.FromSeconds(30) };
            release = await ClaudeCodeRelease.FetchAsync(http, registry ?? ClaudeCodeRelease.DefaultRegistry, version, cancellationToken);
            Console.WriteLine($"Claude Code {release.Version}: sha512 {release.Sha512Amd64[..16]}… (linux-x64), {release.Sha512Arm64[..16]}… (linux-arm64)");
        }

        var docker = await commandContext.ConnectAsync(cancellationToken);
        var plan = await PlanAsync(docker, options, config.Images.Default, cancellationToken);
        string? sdk = null;
        if (plan.Any(p => p.Stack == "dotnet"))
        {
            sdk = options.DotnetSdk is { } given ? Path.GetFullPath(given) : await ImageBuilder.HostDotnetRootAsync(cancellationToken);
            Console.WriteLine($".NET SDK: {sdk}");
        }

        var builder = new ImageBuilder(docker);
        foreach (var image in plan)
        {
            var dockerfile = Path.Combine(image.Directory, "Dockerfile");
            if (!File.Exists(dockerfile))
            {
                throw new ContainerOperationException($"{image.Directory}: no Dockerfile here; pass --context with the folder holding docker/agent/base/Dockerfile, or run from a checkout");
            }

            var findings = await DockerfileAuditor.AuditAsync(await File.ReadAllTextAsync(dockerfile, cancellationToken), dockerfile, docker, cancellationToken);
            if (findings.Count > 0)
            {
                foreach (var finding in findings)
                {
                    await Console.Error.WriteLineAsync($"dockerfile audit: {finding}");
                }

                return ExitCodes.CheckFailed;
            }

            Console.WriteLine($"building {image.Tag} from {image.Directory}");
            var built = await builder.BuildAsync(
                new ImageBuildRequest(image.Directory, image.Tag)
                {
                    CaBundle = ca,
                    BuildArgs = BuildArgs(image.Stack, release, registry),
                    NoCache = options.NoCache,
                    DotnetSdk = image.Stack == "dotnet" ? sdk : null,
                },
                Console.WriteLine,
                cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"built {built.Tag}: id {built.Id}, {built.SizeBytes / 1_000_000.0:0.0} MB, {built.Elapsed.TotalSeconds:0.0} s"));
        }

        return ExitCodes.Success;
    }

    /// <summary>What is wrong with the flags together, or null.</summary>
    private static string? Usage(BuildOptions options)
    {
        var stacks = options.Stacks.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (stacks.FirstOrDefault(s => !Stacks.IsStack(s)) is { } unknown)
        {
            return Stacks.Unknown(unknown);
        }

        if (options.All && stacks.Count > 0)
        {
            return "--all builds every stack; pass either --all or --stack";
        }

        if ((options.All || stacks.Count > 0) && (options.Context is not null || options.Tag is not null))
        {
            return "--context and --tag build one image from a folder; stacks are built from docker/agent/<stack> under their own tags, so drop them or drop --stack/--all";
        }

        if (options.DotnetSdk is not null && !options.All && !stacks.Contains("dotnet"))
        {
            return "--dotnet-sdk is for the dotnet stack; add --stack dotnet (or --all)";
        }

        if (options.ClaudeCodeVersion is { } version && !ClaudeCodeRelease.IsExactVersion(version))
        {
            return $"--claude-code-version \"{version}\" is not an exact version; pass one such as 2.1.330";
        }

        if (options.NpmRegistry is { } registry && !(Uri.TryCreate(registry, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            return $"--npm-registry \"{registry}\" is not an http(s) URL; pass one such as {ClaudeCodeRelease.DefaultRegistry}";
        }

        // The sha512 a download is checked against comes from the same registry: over plain http anyone on the path
        // could hand over both. Only a registry on this machine may be plain http.
        if (options.NpmRegistry is { } plain && Uri.TryCreate(plain, UriKind.Absolute, out var plainUri) && plainUri.Scheme == "http" && !plainUri.IsLoopback)
        {
            return $"--npm-registry \"{plain}\" is plain http: the checksums the downloads are checked against come from it too, so anyone on the path could change both; use its https URL";
        }

        return null;
    }

    /// <summary>
    /// The images to build, in order: with no stack flag the base (or <c>--context</c>) alone; otherwise the requested
    /// stacks, each preceded by the stacks it is built from that are missing from the engine.
    /// </summary>
    private static async Task<List<PlannedImage>> PlanAsync(DockerClient docker, BuildOptions options, string configuredDefault, CancellationToken cancellationToken)
    {
        var requested = options.All
            ? Stacks.All.ToHashSet(StringComparer.Ordinal)
            : options.Stacks.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
        if (requested.Count == 0)
        {
            var directory = Path.GetFullPath(options.Context ?? ImageBuilder.DefaultContextDirectory);
            if (options.Tag is null && options.Context is null && Stacks.Of(configuredDefault) is { } configured && configured != Stacks.Base)
            {
                Console.WriteLine($"images.default is {configuredDefault}: build it with '{Stacks.BuildCommand(configuredDefault)}'; building the base");
            }

            return [new PlannedImage(options.Context is null ? Stacks.Base : null, directory, options.Tag ?? BaseTag(configuredDefault))];
        }

        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stack in requested)
        {
            foreach (var ancestor in Stacks.Lineage(stack))
            {
                if (requested.Contains(ancestor) || !await ExistsAsync(docker, Stacks.Image(ancestor), cancellationToken))
                {
                    wanted.Add(ancestor);
                }
            }
        }

        return Stacks.All.Where(wanted.Contains).Select(s => new PlannedImage(s, Path.GetFullPath(ImageBuilder.StackContextDirectory(s)), Stacks.Image(s))).ToList();
    }

    /// <summary>images.default names the base under a tag of the operator's unless it is a stack's or a custom image's tag.</summary>
    private static string BaseTag(string configuredDefault) =>
        Stacks.Of(configuredDefault) is null && !configuredDefault.StartsWith(Stacks.CustomPrefix, StringComparison.Ordinal) ? configuredDefault : Stacks.BaseImage;

    private static IReadOnlyDictionary<string, string> BuildArgs(string? stack, ClaudeCodeRelease? release, Uri? registry)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Stacks.Parent(stack ?? Stacks.Base) is { } parent)
        {
            args["BASE_IMAGE"] = Stacks.Image(parent);
        }

        if ((stack is null or Stacks.Base) && release is not null)
        {
            foreach (var (key, value) in release.BuildArgs)
            {
                args[key] = value;
            }
        }

        if ((stack is null or Stacks.Base or "node") && registry is not null)
        {
            args["NPM_REGISTRY"] = registry.ToString().TrimEnd('/');
        }

        return args;
    }

    private static async Task<bool> ExistsAsync(DockerClient docker, string image, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(image, cancellationToken);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
    }
}
