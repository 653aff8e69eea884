using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Agents;

/// <summary>One level of the image chain: its name, the config key (or request field) it reads, and what it names there (null: not set).</summary>
internal sealed record ImageLevel(string Level, string Source, string? Image);

/// <summary>
/// What one task runs in, resolved from the config: its repository's entry (if one applies), the image chosen by the
/// chain (task request → repository → agent → <c>images.default</c> → built-in base), and the container and runner
/// settings with the repository's runtime and tighter limits applied.
/// </summary>
internal sealed record TaskProfile(
    AgentConfig Agent,
    RepositorySettings? Repository,
    string Image,
    ImageLevel ChosenBy,
    IReadOnlyList<ImageLevel> Levels,
    ContainerSettings Container,
    RunnerSettings Runner)
{
    /// <summary>Whether a sandbox of the agent's own image and settings (a warm one) fits the task.</summary>
    public bool IsAgentDefault => Image == Agent.Image && Container == Agent.Container;

    /// <summary>The profile of a task; a request for an image the operator does not list, or an agent the repository does not allow, is refused with the fix.</summary>
    public static TaskProfile Resolve(AgentsConfig config, AgentConfig agent, RepositoryUrl? repository, string? requested)
    {
        var settings = repository is null ? null : config.RepositoryFor(repository);
        if (settings is not null && !settings.Allows(agent.Name))
        {
            throw new TaskProfileException($"agent {agent.Name} may not work on {repository!.Url} ({settings.KeyPath("agents")} lists {string.Join(", ", settings.Agents!)})");
        }

        if (requested is not null && Api.TaskSubmission.Selectable(config, requested) is { } problem)
        {
            throw new TaskProfileException($"the task asks for image {requested}: {problem}");
        }

        if (requested is not null && Stacks.IsStack(requested))
        {
            requested = Stacks.Image(requested);
        }

        List<ImageLevel> levels =
        [
            new("task request", "the task's image field", requested),
            new("repository", settings is null ? "repositories (no entry matches)" : settings.KeyPath(settings.Stack is not null ? "stack" : "image"), settings?.RequestedImage),
            new("agent", $"agents.{agent.Name}.image", agent.OwnImage),
            new("images.default", "images.default", config.Images.DefaultSet ? config.Images.Default : null),
            new("built-in", "the built-in base image", Stacks.BaseImage),
        ];
        var chosen = levels.First(l => l.Image is not null);
        var container = (settings?.Container ?? RepositoryContainerLimits.None).Apply(agent.Container);
        var runner = (settings?.Runner ?? RepositoryRunnerLimits.None).Apply(agent.Runner);
        return new TaskProfile(agent, settings, chosen.Image!, chosen, levels, container, runner);
    }

    /// <summary>The config key of the effective runtime, for messages.</summary>
    public string RuntimeSource => Repository?.Container.Runtime is not null ? Repository.KeyPath("container.runtime")
        : Agent.Container.Runtime is not null ? $"agents.{Agent.Name}.container.runtime" : "the engine's default runtime";
}

internal sealed class TaskProfileException(string message) : Exception(message);
