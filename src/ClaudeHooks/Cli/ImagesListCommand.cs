using System.CommandLine;
using System.Globalization;
using ClaudeHooks.Containers;
using Docker.DotNet.Models;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks images list [--json]</c>: the agent images on the engine (the base, the stacks, custom images and
/// whatever else claude-hooks built), with the Claude Code version each carries.
/// </summary>
internal static class ImagesListCommand
{
    public static Command Create()
    {
        var json = CliJson.Option();
        var command = new Command("list", "The agent images on the engine: tag, id, size, when built and the Claude Code version in it") { json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var docker = await context.ConnectAsync(cancellationToken);
            var images = await docker.Images.ListImagesAsync(new ImagesListParameters(), cancellationToken);
            var rows = images
                .SelectMany(image => (image.RepoTags ?? []).Where(tag => tag != "<none>:<none>").Select(tag => (Tag: tag, Image: image)))
                .Where(row => row.Tag.StartsWith("claude-hooks/", StringComparison.Ordinal) || (row.Image.Labels?.ContainsKey(ResourceNames.ManagedLabel) ?? false))
                .OrderBy(row => row.Tag, StringComparer.Ordinal)
                .Select(row => new
                {
                    row.Tag,
                    row.Image.ID,
                    SizeBytes = row.Image.Size,
                    Created = row.Image.Created.ToUniversalTime(),
                    ClaudeCode = row.Image.Labels?.TryGetValue(BaseImageFacts.ClaudeCodeVersionLabel, out var version) ?? false ? version : null,
                })
                .ToList();
            if (parse.GetValue(json))
            {
                foreach (var row in rows)
                {
                    CliJson.Write(row);
                }

                return ExitCodes.Success;
            }

            Table.Print(["TAG", "ID", "SIZE", "BUILT", "CLAUDE CODE"], rows.Select(r => new[]
            {
                r.Tag, r.ID.Replace("sha256:", "", StringComparison.Ordinal)[..Math.Min(12, r.ID.Length)], Config.ByteSize.Format(r.SizeBytes),
                r.Created.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), r.ClaudeCode ?? "-",
            }).ToList());
            return ExitCodes.Success;
        }));
        return command;
    }
}
