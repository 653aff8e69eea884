using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ClaudeHooks.Config;

namespace ClaudeHooks.Agents;

/// <summary>
/// The host user a local agent's CLI runs as. Claude Code refuses to skip permissions as root, and a task must not
/// hold the service's rights: a service running as root runs it as the user <c>container.user</c> names (which must
/// exist on the host and not be root), without supplementary groups and unable to gain privileges (no-new-privs);
/// a service running as anyone else runs it as itself, keeping that user's groups and files within its reach.
/// </summary>
internal sealed record HostUser(string Name, int Uid, int Gid, bool Switched)
{
    public static bool ServiceIsRoot => geteuid() == 0;

    /// <summary>The user a local agent's tasks run as on this host; a missing or privileged one is refused with the fix.</summary>
    public static HostUser Resolve(AgentConfig agent)
    {
        if (!ServiceIsRoot)
        {
            return new HostUser(Environment.UserName, (int)geteuid(), (int)getegid(), Switched: false);
        }

        var key = $"agents.{agent.Name}.container.user";
        var configured = agent.Container.User;
        var colon = configured.IndexOf(':', StringComparison.Ordinal);
        var (userName, groupName) = colon < 0 ? (configured, null) : (configured[..colon], configured[(colon + 1)..]);
        var entry = Lookup("passwd", userName)
            ?? throw new LocalModeException($"the service runs as root, so a local agent's CLI runs as the host user named by {key} (\"{userName}\"), and this host has no such user; create an unprivileged one (for example 'useradd --create-home {userName}') or name one that exists");
        var uid = int.Parse(entry[2], CultureInfo.InvariantCulture);
        var gid = int.Parse(entry[3], CultureInfo.InvariantCulture);
        if (uid == 0)
        {
            throw new LocalModeException($"{key} (\"{configured}\") is uid 0 on this host; Claude Code refuses to skip permissions as root, and no task runs as root: name an unprivileged user");
        }

        if (groupName is { Length: > 0 })
        {
            gid = Lookup("group", groupName) is { } group ? int.Parse(group[2], CultureInfo.InvariantCulture)
                : throw new LocalModeException($"{key} (\"{configured}\") names the group \"{groupName}\", which this host does not have; name an existing group or drop it");
        }

        if (gid == 0)
        {
            throw new LocalModeException($"{key} (\"{configured}\") has the root group (gid 0) on this host; name an unprivileged group");
        }

        return new HostUser(entry[0], uid, gid, Switched: true);
    }

    /// <summary>
    /// The command that runs a program as this user, unable to gain privileges, in a session and process group of its
    /// own (whose id is the program's pid: neither tool forks), so the whole group can be signalled.
    /// </summary>
    public IReadOnlyList<string> Prefix(string setpriv, string setsid) => Switched
        ? [setpriv, $"--reuid={Uid.ToString(CultureInfo.InvariantCulture)}", $"--regid={Gid.ToString(CultureInfo.InvariantCulture)}", "--clear-groups", "--no-new-privs", "--", setsid, "--"]
        : [setpriv, "--no-new-privs", "--", setsid, "--"];

    /// <summary>Gives a file or folder made by the service to this user (a no-op when the service runs as it).</summary>
    public void Own(string path)
    {
        if (Switched && lchown(path, (uint)Uid, (uint)Gid) != 0)
        {
            throw new LocalModeException($"{path}: could not be given to host user {Name} (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    private static string[]? Lookup(string database, string name)
    {
        if (name.Length == 0 || name.StartsWith('-') || name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return null;
        }

        var start = new ProcessStartInfo("getent") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(database);
        start.ArgumentList.Add(name);
        try
        {
            using var getent = Process.Start(start)!;
            var line = getent.StandardOutput.ReadToEnd().Split('\n')[0];
            getent.WaitForExit();
            var fields = line.Split(':');
            return getent.ExitCode == 0 && fields.Length >= 4 && int.TryParse(fields[2], CultureInfo.InvariantCulture, out _) ? fields : null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LocalModeException($"the host's users cannot be looked up ('getent' failed to start: {e.Message}); install libc-bin");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern uint getegid();

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int lchown(string path, uint owner, uint group);
}
