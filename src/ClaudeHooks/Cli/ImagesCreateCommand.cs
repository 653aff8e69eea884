using System.CommandLine;
using System.Globalization;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks images create NAME --from STACK [--apt P…] [--npm P…] [--pip P…]</c>: builds
/// <c>claude-hooks/custom-NAME:latest</c> from a stack image plus packages, after checking every name, the stack
/// image and the generated Dockerfile's audit.
/// </summary>
internal static class ImagesCreateCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The image's name: it is tagged claude-hooks/custom-NAME:latest" };
        var from = new Option<string>("--from")
        {
            Description = $"The stack it is built from: {string.Join(", ", Stacks.All)}",
            Required = true,
        };
        var apt = Packages("--apt", "Debian packages, installed from Debian's mirror (name or name=version)");
        var npm = Packages("--npm", "npm packages, installed globally (name, @scope/name, optional @version; write a scoped one as --npm=@scope/name); needs the node or browser stack");
        var pip = Packages("--pip", "pip packages (name, name[extra], optional ==version); needs the python stack");
        var caBundle = new Option<string?>("--ca-bundle")
        {
            Description = "Extra CA certificates (PEM file or folder of .crt/.pem) trusted while downloading npm and pip packages; never kept in the image (default: images.extra_ca_bundle, $" + CaBundles.Variable + ", then " + CaBundles.HostFolder + " when it holds *.crt)",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the generated Dockerfile and build nothing" };
        var command = new Command("create", "Build a custom agent image from a stack plus packages") { name, from, apt, npm, pip, caBundle, dryRun };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var image = new CustomImage(parse.GetValue(name)!, parse.GetValue(from)!, parse.GetValue(apt) ?? [], parse.GetValue(npm) ?? [], parse.GetValue(pip) ?? []);
            var errors = image.Validate().ToList();
            if (parse.GetValue(caBundle) is { } bundle)
            {
                try
                {
                    ImageBuilder.ReadCaBundle(bundle);
                }
                catch (ContainerOperationException e)
                {
                    errors.Add($"--ca-bundle {e.Message}");
                }
            }

            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"error: {error}");
                }

                return ExitCodes.InvalidConfig;
            }

            if (parse.GetValue(dryRun))
            {
                Console.Write(image.Dockerfile());
                return ExitCodes.Success;
            }

            var docker = await context.ConnectAsync(cancellationToken);
            if (await image.BaseProblemAsync(docker, cancellationToken) is { } missing)
            {
                await Console.Error.WriteLineAsync($"error: {missing}");
                return ExitCodes.InvalidConfig;
            }

            var findings = await image.AuditAsync(docker, cancellationToken);
            if (findings.Count > 0)
            {
                foreach (var finding in findings)
                {
                    await Console.Error.WriteLineAsync($"dockerfile audit: {finding}");
                }

                return ExitCodes.CheckFailed;
            }

            // The same bundle images build trusts, found in the same order.
            var located = CaBundles.Locate(parse.GetValue(caBundle), context.Config.Images.ExtraCaBundle);
            if (located is { } found)
            {
                Console.WriteLine($"trusting the extra CA certificates of {found.Path} ({found.Source}) while downloading packages");
            }

            Console.WriteLine($"building {image.Tag} from {image.BaseImage}");
            var built = await image.BuildAsync(docker, located?.Path, Console.WriteLine, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"built {built.Tag}: id {built.Id}, {built.SizeBytes / 1_000_000.0:0.0} MB, {built.Duration.TotalSeconds:0.0} s"));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Option<string[]> Packages(string flag, string description) => new(flag)
    {
        Description = description,
        AllowMultipleArgumentsPerToken = true,
    };
}
