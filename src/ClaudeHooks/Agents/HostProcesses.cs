using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace ClaudeHooks.Agents;

/// <summary>
/// The processes of a local task on the host, as far as they can be told apart from the rest: those of the task's
/// user that are in the CLI's process group or session, or carry the task's marker in their environment. A process
/// that leaves the session (<c>setsid</c>) and scrubs its environment is no longer recognisable, and outlives the task.
/// </summary>
internal static class HostProcesses
{
    public const int Term = 15;
    public const int Kill = 9;

    /// <summary>The live (not zombie) processes of the task: user <paramref name="uid"/>'s, in one of <paramref name="groups"/> (as process group or session) or with <paramref name="marker"/> (NAME=value) in their environment.</summary>
    public static IReadOnlyList<int> Find(IReadOnlyCollection<int> groups, int uid, string marker)
    {
        var found = new List<int>();
        var ids = groups.Select(g => g.ToString(CultureInfo.InvariantCulture)).ToHashSet(StringComparer.Ordinal);
        var needle = Encoding.UTF8.GetBytes(marker);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] is "Z" or "X" || OwnerOf(directory) != uid)
                {
                    continue;
                }

                var inGroup = ids.Contains(fields[2]) || ids.Contains(fields[3]);
                if (inGroup || Carries(File.ReadAllBytes(Path.Combine(directory, "environ")), needle))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // It ended while being read, or it is not ours to read.
            }
        }

        return found;
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to every process <see cref="Find"/> recognises and returns how many there were.
    /// Each is signalled by its pid, never by its group: a group id outlives nothing and may belong to another
    /// process by now, whose user is checked here.
    /// </summary>
    public static int Signal(IReadOnlyCollection<int> groups, int uid, string marker, int signal)
    {
        var pids = Find(groups, uid, marker);
        foreach (var pid in pids)
        {
            _ = kill(pid, signal);
        }

        return pids.Count;
    }

    private static int? OwnerOf(string directory)
    {
        foreach (var line in File.ReadLines(Path.Combine(directory, "status")))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static bool Carries(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> marker)
    {
        foreach (var range in environment.Split((byte)0))
        {
            if (environment[range].SequenceEqual(marker))
            {
                return true;
            }
        }

        return false;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
