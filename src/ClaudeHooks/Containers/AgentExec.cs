using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// Runs a command in an agent container through the Engine API's exec endpoints. Per-exec environment is the
/// only way secrets reach a container: the engine keeps it out of container and exec inspection.
/// </summary>
internal sealed class AgentExec(DockerClient docker)
{
    public async Task<ExecResult> RunAsync(
        string container,
        IReadOnlyList<string> command,
        IReadOnlyList<string>? environment = null,
        string user = "claude",
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var created = await docker.Exec.ExecCreateContainerAsync(container, new ContainerExecCreateParameters
        {
            Cmd = [.. command],
            Env = environment is null ? null : [.. environment],
            User = user,
            WorkingDir = workingDirectory,
            AttachStdout = true,
            AttachStderr = true,
            AttachStdin = false,
            Tty = false,
        }, cancellationToken);

        using var stream = await docker.Exec.StartAndAttachContainerExecAsync(created.ID, tty: false, cancellationToken);
        var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken);
        var inspect = await docker.Exec.InspectContainerExecAsync(created.ID, cancellationToken);
        return new ExecResult(inspect.ExitCode, stdout, stderr);
    }
}
