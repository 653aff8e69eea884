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

    /// <summary>The stack a stack's image is built FROM (its <c>BASE_IMAGE</c>): the node stack for the browser, the base for the others, none for the base.</summary>
    public static string? Parent(string stack) => stack switch
    {
        Base => null,
        "browser" => "node",
        _ => Base,
    };

    /// <summary>The stack itself after every stack it is built from, the base first.</summary>
    public static IReadOnlyList<string> Lineage(string stack)
    {
        var chain = new List<string>();
        for (string? s = stack; s is not null; s = Parent(s))
        {
            chain.Insert(0, s);
        }

        return chain;
    }

    /// <summary>What to say about a name that is no stack: the stacks there are.</summary>
    public static string Unknown(string name) => $"no stack named \"{name}\"; the stacks are {string.Join(", ", All)}";

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
