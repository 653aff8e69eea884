using System.CommandLine;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks images build</c>: builds the agent base image through the Engine API.</summary>
internal static class ImagesCommand
{
    public static Command Create()
    {
        var context = new Option<string?>("--context") { Description = "Folder holding the agent Dockerfile (default: docker/agent/base)" };
        var tag = new Option<string?>("--tag") { Description = "Image tag (default: images.default from agents.json)" };
        var caBundle = new Option<string?>("--ca-bundle")
        {
            Description = "Extra CA certificates (PEM file or folder of .crt/.pem) trusted while downloading the CLI; never kept in the image (default: images.extra_ca_bundle)",
        };
        var build = new Command("build", "Build the agent image") { context, tag, caBundle };
        build.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async commandContext =>
        {
            var config = commandContext.Config;
            var docker = await commandContext.ConnectAsync(cancellationToken);
            var directory = Path.GetFullPath(parse.GetValue(context) ?? ImageBuilder.DefaultContextDirectory);
            var findings = DockerfileAuditor.Audit(await File.ReadAllTextAsync(Path.Combine(directory, "Dockerfile"), cancellationToken), Path.Combine(directory, "Dockerfile"));
            if (findings.Count > 0)
            {
                foreach (var finding in findings)
                {
                    await Console.Error.WriteLineAsync($"dockerfile audit: {finding}");
                }

                return ExitCodes.CheckFailed;
            }

            var imageTag = parse.GetValue(tag) ?? config.Images.Default;
            Console.WriteLine($"building {imageTag} from {directory}");
            await new ImageBuilder(docker).BuildAsync(directory, imageTag, parse.GetValue(caBundle) ?? config.Images.ExtraCaBundle, Console.WriteLine, cancellationToken);
            Console.WriteLine($"built {imageTag}");
            return ExitCodes.Success;
        }));

        var command = new Command("images", "Build agent images");
        command.Subcommands.Add(build);
        command.Subcommands.Add(ImagesCreateCommand.Create());
        return command;
    }
}
