using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Docker.DotNet;

namespace ClaudeHooks.Containers;

/// <summary>
/// An operator's image made by <c>claude-hooks images create</c>: a stack image plus Debian, npm and pip packages,
/// tagged <c>claude-hooks/custom-NAME:latest</c>. Debian packages are installed in the final stage (the mirror's
/// indexes are signed, so no extra CA is needed); npm and pip packages in a first stage that alone trusts the
/// operator's CA bundle, and only what they installed is copied into the final stage. Every name is checked
/// against a strict pattern and single-quoted in the generated Dockerfile, so none can reach a shell as code.
/// </summary>
internal sealed partial record CustomImage(string Name, string Stack, IReadOnlyList<string> Apt, IReadOnlyList<string> Npm, IReadOnlyList<string> Pip)
{
    public const string ImageLabel = "org.claude-hooks.image";
    public const string FromLabel = "org.claude-hooks.custom.from";
    public const string AptLabel = "org.claude-hooks.custom.apt";
    public const string NpmLabel = "org.claude-hooks.custom.npm";
    public const string PipLabel = "org.claude-hooks.custom.pip";

    /// <summary>Where the first stage installs npm packages, laid out as under <c>/</c> (npm's global prefix is <c>/usr/local</c>).</summary>
    private const string NpmRoot = "/opt/claude-hooks-custom/npm";

    /// <summary>Where the first stage installs pip packages (<c>pip --root</c>), laid out as under <c>/</c>.</summary>
    private const string PipRoot = "/opt/claude-hooks-custom/pip";

    private const int MaxPackageLength = 214;

    /// <summary>The stacks whose image has npm.</summary>
    public static IReadOnlyList<string> NpmStacks { get; } = ["node", "browser"];

    /// <summary>The stacks whose image has pip.</summary>
    public static IReadOnlyList<string> PipStacks { get; } = ["python"];

    public string Tag => Stacks.CustomImage(Name);

    public string BaseImage => Stacks.Image(Stack);

    /// <summary>Every problem with the request, each naming its flag and the fix; empty when it can be built.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!ImageName().IsMatch(Name))
        {
            errors.Add($"NAME {Show(Name)} is not a valid image name; use 1 to 40 lowercase letters, digits and '-', starting with a letter (e.g. web-tools)");
        }

        var stackKnown = Stacks.IsStack(Stack);
        if (!stackKnown)
        {
            errors.Add($"--from {Show(Stack)} is not a stack; use one of {string.Join(", ", Stacks.All)}");
        }

        if (Apt.Count + Npm.Count + Pip.Count == 0)
        {
            errors.Add("nothing to install; pass at least one package with --apt, --npm or --pip");
        }

        errors.AddRange(Apt.Where(p => !Fits(p, AptPackage())).Select(p =>
            $"--apt {Show(p)} is not a Debian package name; use a name such as jq, optionally with =version (jq=1.6-2.1): lowercase letters, digits, '+', '.', '-'"));
        errors.AddRange(Npm.Where(p => !Fits(p, NpmPackage())).Select(p =>
            $"--npm {Show(p)} is not an npm package name; use name or @scope/name, optionally with @version or @tag (typescript@5.4.5); no URLs, paths, git or tarball specs"));
        errors.AddRange(Pip.Where(p => !Fits(p, PipPackage())).Select(p =>
            $"--pip {Show(p)} is not a pip requirement; use name, name[extra,...] or name==version (requests==2.32.3); no URLs, paths or options"));

        if (stackKnown && Npm.Count > 0 && !NpmStacks.Contains(Stack, StringComparer.Ordinal))
        {
            errors.Add($"--npm needs npm, which the {Stack} stack does not have; use --from {string.Join(" or --from ", NpmStacks)}, or install it with --apt");
        }

        if (stackKnown && Pip.Count > 0 && !PipStacks.Contains(Stack, StringComparer.Ordinal))
        {
            errors.Add($"--pip needs pip, which the {Stack} stack does not have; use --from {string.Join(" or --from ", PipStacks)}, or install Debian's python3-* packages with --apt");
        }

        return errors;
    }

    /// <summary>The Dockerfile that builds the image; call only once <see cref="Validate"/> found nothing.</summary>
    public string Dockerfile()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# {Tag}: the {Stack} stack ({BaseImage}) plus the packages below, made by 'claude-hooks images create'.\n");
        var packages = Npm.Count + Pip.Count > 0;
        if (packages)
        {
            text.Append("# npm and pip packages are installed in the first stage, the only one that trusts the operator's CA bundle\n")
                .Append("# (extra-ca/extra-ca.crt, empty when none); only what they installed reaches the final stage.\n")
                .Append(CultureInfo.InvariantCulture, $"FROM {BaseImage} AS packages\n")
                .Append("USER root\n")
                .Append("WORKDIR /tmp\n")
                .Append("COPY extra-ca/ /tmp/extra-ca/\n")
                .Append("RUN cat /etc/ssl/certs/ca-certificates.crt /tmp/extra-ca/extra-ca.crt > /tmp/ca-bundle.crt\n");
            if (Npm.Count > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"RUN NODE_EXTRA_CA_CERTS=/tmp/ca-bundle.crt npm install --global --prefix {NpmRoot}/usr/local --cafile /tmp/ca-bundle.crt \\\n")
                    .Append(CultureInfo.InvariantCulture, $"        --no-audit --no-fund --no-update-notifier {Quoted(Npm)}\n");
            }

            if (Pip.Count > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"RUN SSL_CERT_FILE=/tmp/ca-bundle.crt python3 -m pip install --root {PipRoot} --cert /tmp/ca-bundle.crt \\\n")
                    .Append(CultureInfo.InvariantCulture, $"        --no-cache-dir --no-warn-script-location --disable-pip-version-check {Quoted(Pip)}\n");
            }

            text.Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"FROM {BaseImage}\n");
        if (Apt.Count > 0)
        {
            text.Append("USER root\n")
                .Append("RUN apt-get update \\\n")
                .Append(CultureInfo.InvariantCulture, $" && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {Quoted(Apt)} \\\n")
                .Append(" && rm -rf /var/lib/apt/lists/*\n");
        }

        if (Npm.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"COPY --from=packages {NpmRoot}/ /\n");
        }

        if (Pip.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"COPY --from=packages {PipRoot}/ /\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"LABEL {ImageLabel}=\"custom-{Name}\" \\\n")
            .Append(CultureInfo.InvariantCulture, $"      {FromLabel}=\"{Stack}\" \\\n")
            .Append(CultureInfo.InvariantCulture, $"      {AptLabel}=\"{string.Join(' ', Apt)}\" \\\n")
            .Append(CultureInfo.InvariantCulture, $"      {NpmLabel}=\"{string.Join(' ', Npm)}\" \\\n")
            .Append(CultureInfo.InvariantCulture, $"      {PipLabel}=\"{string.Join(' ', Pip)}\"\n")
            .Append("USER claude\n");
        return text.ToString();
    }

    /// <summary>Why the stack image cannot be built from (it does not exist, with the command that builds it), or null.</summary>
    public async Task<string?> BaseProblemAsync(DockerClient docker, CancellationToken cancellationToken) =>
        (await BaseImageFacts.InspectAsync(docker, BaseImage, cancellationToken)).Exists
            ? null
            : $"--from {Stack}: {BaseImage} does not exist; build it with '{Stacks.BuildCommand(BaseImage)}'";

    /// <summary>The Dockerfile audit's findings on the generated Dockerfile, with what the stack image provides.</summary>
    public Task<IReadOnlyList<string>> AuditAsync(DockerClient docker, CancellationToken cancellationToken) =>
        DockerfileAuditor.AuditAsync(Dockerfile(), $"Dockerfile of {Tag}", docker, cancellationToken);

    /// <summary>
    /// Checks the request, the stack image and the audit, then builds the image through the Engine API (the CA
    /// bundle staged as for the base image) and reports what it made.
    /// </summary>
    public async Task<Built> BuildAsync(DockerClient docker, string? caBundle, Action<string> output, CancellationToken cancellationToken)
    {
        var problems = Validate();
        if (problems.Count > 0)
        {
            throw new ContainerOperationException(string.Join("; ", problems));
        }

        ImageBuilder.ReadCaBundle(caBundle);
        if (await BaseProblemAsync(docker, cancellationToken) is { } missing)
        {
            throw new ContainerOperationException(missing);
        }

        var findings = await AuditAsync(docker, cancellationToken);
        if (findings.Count > 0)
        {
            throw new ContainerOperationException($"the generated Dockerfile fails the audit: {string.Join("; ", findings)}");
        }

        var context = Directory.CreateTempSubdirectory("claude-hooks-custom-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(context.FullName, "Dockerfile"), Dockerfile(), cancellationToken);
            var clock = Stopwatch.StartNew();
            await new ImageBuilder(docker).BuildAsync(context.FullName, Tag, caBundle, output, cancellationToken);
            var elapsed = clock.Elapsed;
            if (await ImageIntegrity.DifferencesAsync(docker, Stacks.Image(Stack), Tag, cancellationToken) is { Count: > 0 } changed)
            {
                await docker.Images.DeleteImageAsync(Tag, new Docker.DotNet.Models.ImageDeleteParameters { Force = true }, CancellationToken.None);
                throw new ContainerOperationException($"a package replaced part of what every agent image must keep, so {Tag} was removed: {string.Join("; ", changed)}; drop the package (its install script or a file it ships overwrote it)");
            }

            var image = await docker.Images.InspectImageAsync(Tag, cancellationToken);
            return new Built(Tag, image.ID, image.Size, elapsed);
        }
        finally
        {
            context.Delete(recursive: true);
        }
    }

    /// <summary>What <see cref="BuildAsync"/> made.</summary>
    public sealed record Built(string Tag, string Id, long SizeBytes, TimeSpan Duration);

    private static bool Fits(string package, Regex pattern) => package.Length <= MaxPackageLength && pattern.IsMatch(package);

    /// <summary>Each name single-quoted: the patterns admit no quote, so the shell reads every one as a plain word.</summary>
    private static string Quoted(IEnumerable<string> packages) => string.Join(' ', packages.Select(p => $"'{p}'"));

    /// <summary>A value as typed, quoted, with control characters escaped so a hostile one cannot break the message.</summary>
    private static string Show(string value)
    {
        var shown = new StringBuilder("\"");
        foreach (var c in value)
        {
            shown.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when char.IsControl(c) => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }

        return shown.Append('"').ToString();
    }

    // \A and \z, not ^ and $: $ would also match before a final newline.
    [GeneratedRegex(@"\A[a-z][a-z0-9-]{0,39}\z")]
    private static partial Regex ImageName();

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?\z")]
    private static partial Regex AptPackage();

    [GeneratedRegex(@"\A(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*(@[A-Za-z0-9.^~+-]+)?\z")]
    private static partial Regex NpmPackage();

    [GeneratedRegex(@"\A[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*\])?(==[A-Za-z0-9.+!*]+)?\z")]
    private static partial Regex PipPackage();
}
