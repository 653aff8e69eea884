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

    /// <summary>An empty user, <c>root</c> or uid 0 however written (<c>0</c>, <c>00</c>, with or without a group) runs as root.</summary>
    public bool RunsAsRoot => User is null || IsRoot(User);

    /// <summary>Whether a USER value names root: <c>root</c>, an empty name, or a number equal to 0.</summary>
    public static bool IsRoot(string user)
    {
        var name = user.Trim().Split(':')[0];
        return name is "" or "root" || (name.All(char.IsAsciiDigit) && name.TrimStart('0').Length == 0);
    }

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
