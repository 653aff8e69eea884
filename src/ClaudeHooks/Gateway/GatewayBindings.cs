using System.Collections.Concurrent;
using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Gateway;

/// <summary>
/// One running task as the gateway knows it: the agent (and so its role and credentials), the repository and
/// the thread's branch, and the hosts it may reach besides the model and its repository.
/// </summary>
internal sealed record TaskBinding(string TaskId, string TaskKey, AgentConfig Agent, RepositoryUrl Repository, string Thread, string Branch, IReadOnlyList<EgressRule> Allow)
{
    /// <summary>The forge repository the task's repository is (its credential comes from there), or null for any other remote.</summary>
    public ForgeRepository? Forge { get; init; }

    public string AllowKey => $"agents.{Agent.Name}.egress_allow";
}

/// <summary>Who is behind a socket: a task's sandbox (bound once it is given its task), or an agent's own container, where only the service's git runs.</summary>
internal abstract record SocketOwner(string Agent);

internal sealed record SandboxOwner(string Agent, string? TaskKey) : SocketOwner(Agent);

internal sealed record MaintenanceOwner(string Agent) : SocketOwner(Agent);

/// <summary>
/// The gateway's identities: sockets to owners and tasks to what they may do. A sandbox's binding is also kept in a
/// host-only file, so a restarted service serves a still-running sandbox as the same task.
/// </summary>
internal sealed class GatewayBindings(AgentsConfig config, string bindingsDirectory)
{
    private readonly ConcurrentDictionary<string, SocketOwner> _sockets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskBinding> _tasks = new(StringComparer.Ordinal);

    public void AddTask(TaskBinding task) => _tasks[task.TaskKey] = task;

    public void RemoveTask(string taskKey) => _tasks.TryRemove(taskKey, out _);

    public TaskBinding? Task(string taskKey) => _tasks.TryGetValue(taskKey, out var task) ? task : null;

    public void SetOwner(string socketId, SocketOwner owner)
    {
        _sockets[socketId] = owner;
        if (owner is SandboxOwner { TaskKey: { } key } && Task(key) is { } task)
        {
            Directory.CreateDirectory(bindingsDirectory);
            var file = BindingFile(socketId);
            File.WriteAllText(file + ".tmp", JsonSerializer.Serialize(new StoredBinding(task.TaskId, task.Agent.Name, task.Repository.Url, task.Thread)));
            File.SetUnixFileMode(file + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(file + ".tmp", file, overwrite: true);
        }
    }

    public void RemoveOwner(string socketId)
    {
        _sockets.TryRemove(socketId, out _);
        File.Delete(BindingFile(socketId));
    }

    public SocketOwner? Owner(string socketId) => _sockets.TryGetValue(socketId, out var owner) ? owner : null;

    /// <summary>The binding a previous process kept for a sandbox's socket, rebuilt against today's config; null when there is none or its agent is gone.</summary>
    public TaskBinding? Restore(string socketId, Func<string, AgentConfig, RepositoryUrl, string, TaskBinding> bind)
    {
        var file = BindingFile(socketId);
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            var stored = JsonSerializer.Deserialize<StoredBinding>(File.ReadAllText(file));
            if (stored is null || config.Find(stored.Agent) is not { } agent)
            {
                return null;
            }

            var task = bind(stored.TaskId, agent, RepositoryUrl.Parse(stored.Repo, config.Workdir.AllowLocalRepos), stored.Thread);
            AddTask(task);
            _sockets[socketId] = new SandboxOwner(agent.Name, task.TaskKey);
            return task;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidRepositoryException)
        {
            return null;
        }
    }

    private string BindingFile(string socketId) => Path.Combine(bindingsDirectory, socketId + ".json");

    private sealed record StoredBinding(string TaskId, string Agent, string Repo, string Thread);
}
