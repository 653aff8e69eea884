using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClaudeHooks.Containers;

/// <summary>
/// The one seam through which claude-hooks runs anything in a container: creating, starting and removing
/// containers, exec with and without streaming, copying bytes in (on stdin) and out (on stdout), and listing a
/// container's processes from the engine's side. Per-exec environment is the only way a secret reaches a
/// container: the engine keeps it out of container and exec inspection.
/// </summary>
internal sealed class ContainerRuntime(DockerClient docker)
{
    public DockerClient Engine => docker;

    /// <summary>Runs a command to its end and returns its exit code and text output.</summary>
    public async Task<ExecResult> ExecAsync(
        string container,
        IReadOnlyList<string> command,
        IReadOnlyList<string>? environment = null,
        string? user = null,
        string? workingDirectory = null,
        CancellationToken cancellationToken = default)
    {
        var (exitCode, stdout, stderr) = await RunAsync(container, command, new ExecOptions(environment, user, workingDirectory), null, long.MaxValue, cancellationToken);
        return new ExecResult(exitCode, Encoding.UTF8.GetString(stdout), stderr);
    }

    /// <summary>Runs a command with <paramref name="input"/> on its stdin (how bytes are copied into a container).</summary>
    public async Task<ExecResult> ExecWithInputAsync(string container, IReadOnlyList<string> command, ReadOnlyMemory<byte> input, ExecOptions options, CancellationToken cancellationToken)
    {
        var (exitCode, stdout, stderr) = await RunAsync(container, command, options, input, long.MaxValue, cancellationToken);
        return new ExecResult(exitCode, Encoding.UTF8.GetString(stdout), stderr);
    }

    /// <summary>Runs a command and returns its stdout as bytes (how files are copied out), refusing more than <paramref name="maxBytes"/>.</summary>
    public async Task<ExecBytes> ExecForBytesAsync(string container, IReadOnlyList<string> command, ExecOptions options, long maxBytes, CancellationToken cancellationToken)
    {
        var (exitCode, stdout, stderr) = await RunAsync(container, command, options, null, maxBytes, cancellationToken);
        return new ExecBytes(exitCode, stdout, stderr);
    }

    /// <summary>Starts a command with its stdio attached; the caller reads and writes the stream and then asks for the exit code.</summary>
    public async Task<StreamingExec> StartStreamingAsync(string container, IReadOnlyList<string> command, ExecOptions options, CancellationToken cancellationToken)
    {
        var created = await docker.Exec.CreateContainerExecAsync(container, Parameters(command, options, attachStdin: true), cancellationToken);
        var stream = await docker.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters { Detach = false, TTY = false }, cancellationToken);
        return new StreamingExec(docker, created.ID, stream);
    }

    /// <summary>The container's processes as the engine sees them (unaffected by anything a process does to its name or environment).</summary>
    public async Task<IReadOnlyList<ContainerProcess>> ProcessesAsync(string container, CancellationToken cancellationToken)
    {
        var top = await docker.Containers.ListProcessesAsync(container, new ContainerListProcessesParameters { PsArgs = "-eo pid,ppid,user,args" }, cancellationToken);
        if (top.Titles is null || top.Processes is null)
        {
            return [];
        }

        var titles = top.Titles.ToList();
        int Column(string name) => titles.FindIndex(t => t.Equals(name, StringComparison.OrdinalIgnoreCase));
        var (pid, ppid, user, args) = (Column("PID"), Column("PPID"), Column("USER"), Column("COMMAND") is >= 0 and var c ? c : Column("ARGS"));
        return top.Processes
            .Select(p => new ContainerProcess(p[pid], ppid >= 0 ? p[ppid] : "", user >= 0 ? p[user] : "", args >= 0 ? p[args] : string.Join(' ', p)))
            .ToList();
    }

    /// <summary>Creates and starts a container; one that fails to start is removed with its anonymous volumes.</summary>
    public async Task<string> CreateAndStartAsync(CreateContainerParameters parameters, CancellationToken cancellationToken)
    {
        var created = await docker.Containers.CreateContainerAsync(parameters, cancellationToken);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            return created.ID;
        }
        catch
        {
            await RemoveAsync(created.ID, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Kills and removes a container and its anonymous volumes; true when it existed.</summary>
    public async Task<bool> RemoveAsync(string container, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Containers.RemoveContainerAsync(container, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken);
            return true;
        }
        catch (DockerContainerNotFoundException)
        {
            return false;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict && (e.ResponseBody ?? "").Contains("already in progress", StringComparison.Ordinal))
        {
            return true;
        }
    }

    public async Task<ContainerInspectResponse?> InspectAsync(string container, CancellationToken cancellationToken)
    {
        try
        {
            return await docker.Containers.InspectContainerAsync(container, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    private async Task<(long ExitCode, byte[] Stdout, string Stderr)> RunAsync(
        string container, IReadOnlyList<string> command, ExecOptions options, ReadOnlyMemory<byte>? input, long maxBytes, CancellationToken cancellationToken)
    {
        var created = await docker.Exec.CreateContainerExecAsync(container, Parameters(command, options, attachStdin: input is not null), cancellationToken);
        using var stream = await docker.Exec.StartContainerExecAsync(created.ID, new ContainerExecStartParameters { Detach = false, TTY = false }, cancellationToken);
        var writing = Task.CompletedTask;
        if (input is { } bytes)
        {
            writing = WriteAllAsync(stream, bytes, cancellationToken);
        }

        using var stdout = new MemoryStream();
        var stderr = new StringBuilder();
        var buffer = new byte[81920];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
            {
                break;
            }

            if (read.Target == MultiplexedStream.TargetStream.StandardError)
            {
                if (stderr.Length < 64 * 1024)
                {
                    stderr.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
                }

                continue;
            }

            if (stdout.Length + read.Count > maxBytes)
            {
                throw new ContainerOperationException($"'{command[0]}' in {container} wrote more than {Config.ByteSize.Format(maxBytes)}; refused");
            }

            stdout.Write(buffer, 0, read.Count);
        }

        await writing;
        var inspect = await docker.Exec.InspectContainerExecAsync(created.ID, cancellationToken);
        return (inspect.ExitCode ?? -1, stdout.ToArray(), stderr.ToString());
    }

    private static async Task WriteAllAsync(MultiplexedStream stream, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        const int Chunk = 64 * 1024;
        var array = bytes.ToArray();
        for (var offset = 0; offset < array.Length; offset += Chunk)
        {
            await stream.WriteAsync(array, offset, Math.Min(Chunk, array.Length - offset), cancellationToken);
        }

        stream.CloseWrite();
    }

    private static ContainerExecCreateParameters Parameters(IReadOnlyList<string> command, ExecOptions options, bool attachStdin) => new()
    {
        Cmd = [.. command],
        Env = options.Environment is null ? null! : [.. options.Environment],
        User = options.User ?? "",
        WorkingDir = options.WorkingDirectory ?? "",
        AttachStdin = attachStdin,
        AttachStdout = true,
        AttachStderr = true,
        TTY = false,
    };
}

/// <summary>Who runs an exec, where, and with which environment (null: the container's own settings).</summary>
internal sealed record ExecOptions(IReadOnlyList<string>? Environment = null, string? User = null, string? WorkingDirectory = null);

internal sealed record ExecBytes(long ExitCode, byte[] Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;
}

internal sealed record ContainerProcess(string Pid, string ParentPid, string User, string Command);

/// <summary>An exec whose stdio the caller drives (the Claude Code run).</summary>
internal sealed class StreamingExec(DockerClient docker, string id, MultiplexedStream stream) : IDisposable
{
    public MultiplexedStream Stream { get; } = stream;

    public async Task<long> ExitCodeAsync(CancellationToken cancellationToken) =>
        (await InspectAsync(cancellationToken)).ExitCode ?? -1;

    public Task<ContainerExecInspectResponse> InspectAsync(CancellationToken cancellationToken) =>
        docker.Exec.InspectContainerExecAsync(id, cancellationToken);

    public void Dispose() => Stream.Dispose();
}
