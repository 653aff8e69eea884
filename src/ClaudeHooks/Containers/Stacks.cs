namespace ClaudeHooks.Containers;

/// <summary>
/// The toolchain images shipped with claude-hooks: <c>base</c> (git, the CLI) and one per stack, each built from
/// <c>docker/agent/&lt;stack&gt;/Dockerfile</c> on top of the base, tagged <c>claude-hooks/agent-&lt;stack&gt;:latest</c>.
/// </summary>
internal static class Stacks
{
    public const string Base = "base";

    /// <summary>The built-in base image: the last level of the image chain.</summary>
    public const string BaseImage = "claude-hooks/agent-base:latest";

    /// <summary>Every stack, in build order (a stack is built after the one it comes from).</summary>
    public static readonly IReadOnlyList<string> All = [Base, "node", "python", "dotnet", "browser"];

    public static bool IsStack(string name) => All.Contains(name, StringComparer.Ordinal);

    public static string Image(string stack) => $"claude-hooks/agent-{stack}:latest";

    /// <summary>The stack an image tag belongs to, or null for any other image.</summary>
    public static string? Of(string image) => All.FirstOrDefault(s => string.Equals(Image(s), image, StringComparison.Ordinal));

    /// <summary>The command that builds an image, for messages about a missing one.</summary>
    public static string BuildCommand(string image) => Of(image) is { } stack
        ? stack == Base ? "claude-hooks images build" : $"claude-hooks images build --stack {stack}"
        : image.StartsWith(CustomPrefix, StringComparison.Ordinal)
            ? $"claude-hooks images create {image[CustomPrefix.Length..].Split(':')[0]} --from STACK …"
            : $"docker build -t {image} (or claude-hooks images create)";

    /// <summary>Images made by <c>claude-hooks images create NAME</c> are tagged <c>claude-hooks/custom-NAME:latest</c>.</summary>
    public const string CustomPrefix = "claude-hooks/custom-";

    public static string CustomImage(string name) => $"{CustomPrefix}{name}:latest";
}
