using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// What a derived image inherits from the image its final stage starts from, as the engine reports it: the user,
/// whether a healthcheck is set, and the Claude Code version label. <see cref="Exists"/> is false when the engine
/// has no such image.
/// </summary>
internal sealed record BaseImageFacts(string? User, bool HasHealthcheck, string? ClaudeCodeVersion, bool Exists = true)
{
    /// <summary>Set by every claude-hooks image to the CLI version it was built with.</summary>
    public const string ClaudeCodeVersionLabel = "org.claude-hooks.claude-code-version";

    public static BaseImageFacts Missing { get; } = new(null, false, null, Exists: false);

    /// <summary><c>FROM scratch</c>: nothing to inherit, and it runs as root.</summary>
    public static BaseImageFacts Scratch { get; } = new("", false, null);

    /// <summary>An empty user, <c>root</c> or uid 0 (with or without a group) runs as root.</summary>
    public bool RunsAsRoot => User is null || User.Split(':')[0] is "" or "root" or "0";

    public static BaseImageFacts From(ImageInspectResponse inspect)
    {
        var config = inspect.Config;
        var test = config?.Healthcheck?.Test;
        var version = config?.Labels is { } labels && labels.TryGetValue(ClaudeCodeVersionLabel, out var value) ? value : null;
        return new BaseImageFacts(config?.User ?? "", test is { Count: > 0 } && test[0] != "NONE", version);
    }

    public static async Task<BaseImageFacts> InspectAsync(DockerClient docker, string image, CancellationToken cancellationToken)
    {
        try
        {
            return From(await docker.Images.InspectImageAsync(image, cancellationToken));
        }
        catch (DockerImageNotFoundException)
        {
            return Missing;
        }
    }
}
