using ClaudeHooks.Config;
using ClaudeHooks.Containers;

namespace ClaudeHooks.Api;

/// <summary>
/// What keeps each agent from running a task: its credentials as the gateway would read them at the next request
/// (missing, unreadable, open to others, expired), and for a sandboxed agent the engine, its image, its runtime and
/// its long-lived container. An agent with no blocker can run.
/// </summary>
internal static class AgentReadiness
{
    public static IReadOnlyDictionary<string, IReadOnlyList<AgentBlocker>> Check(AgentsConfig config, ClaudeHooksPaths paths, EngineStatus status, TimeProvider time) =>
        config.Agents.ToDictionary(a => a.Name, a => (IReadOnlyList<AgentBlocker>)[.. Credentials(a, paths, time), .. Engine(a, status)], StringComparer.Ordinal);

    /// <summary>The agent's forge token and model credential, read the way the gateway reads them.</summary>
    public static IEnumerable<AgentBlocker> Credentials(AgentConfig agent, ClaudeHooksPaths paths, TimeProvider time)
    {
        var credentials = new AgentCredentials(paths);
        AgentBlocker? forge = null;
        try
        {
            // An agent that acts as a GitHub App signs with the App's key; it needs no token file.
            if (agent.GitHubApp is { } app)
            {
                AgentCredentials.ReadSecretFile(app.PrivateKeyFile, $"the {agent.Name} agent's GitHub App private key", singleLine: false);
            }
            else
            {
                credentials.ReadForgeToken(agent);
            }
        }
        catch (CredentialException e)
        {
            forge = agent.GitHubApp is { } app
                ? AgentBlocker.FromMessage("GitHub App private key", e.Message, $"write GitHub App {app.AppId}'s private key (\"Generate a private key\" in the App's settings) to {app.PrivateKeyFile} and 'chmod 600' it")
                : AgentBlocker.FromMessage("forge token", e.Message, $"write the agent's forge token to {credentials.ForgeTokenFile(agent)} and 'chmod 600' it");
        }

        if (forge is not null)
        {
            yield return forge;
        }

        AgentBlocker? model = null;
        try
        {
            Gateway.ModelCredential.Read(agent, time);
        }
        catch (CredentialException e)
        {
            model = AgentBlocker.FromMessage($"model credential ({agent.ClaudeAuth.ConfigKey})", e.Message, $"write the agent's model credential to {agent.ClaudeAuth.Path} and 'chmod 600' it");
        }

        if (model is not null)
        {
            yield return model;
        }
    }

    /// <summary>What a sandboxed agent needs of the engine; a local agent needs none of it.</summary>
    public static IEnumerable<AgentBlocker> Engine(AgentConfig agent, EngineStatus status)
    {
        if (agent.IsLocal)
        {
            yield break;
        }

        if (!status.SocketConnected)
        {
            yield return new AgentBlocker("the Docker engine cannot be reached", "start it ('systemctl start docker' or scripts/start) or point DOCKER_HOST at it");
            yield break;
        }

        if (status.MissingImages.Contains(agent.Image, StringComparer.Ordinal))
        {
            yield return new AgentBlocker($"image {agent.Image} is missing", "run 'claude-hooks images build' (with --stack S for a stack image)");
        }

        if (agent.Container.Runtime is { } runtime && status.Runtimes is { } runtimes && !runtimes.Contains(runtime, StringComparer.Ordinal))
        {
            var key = $"agents.{agent.Name}.container.runtime";
            yield return new AgentBlocker($"runtime {runtime} ({key}) is not registered with the engine", Cli.DoctorCommand.RuntimeFix(runtime, [key], runtimes));
        }

        var container = status.Agents.FirstOrDefault(a => a.Name == agent.Name);
        var fix = $"run 'claude-hooks containers up {agent.Name}', then 'claude-hooks containers logs {agent.Name}' if it does not stay up";
        if (container is null || container.State == "missing")
        {
            yield return new AgentBlocker($"container {container?.Container ?? agent.Name} does not exist", $"run 'claude-hooks containers up {agent.Name}'");
        }
        else if (container.State != "running")
        {
            yield return new AgentBlocker($"container {container.Container} is {container.State}", fix);
        }
        else if (container.Health == "unhealthy")
        {
            yield return new AgentBlocker($"container {container.Container} is unhealthy (its probe checks /state, git and the CLI)", fix);
        }
    }
}
