using System.Globalization;
using System.Text;
using ClaudeHooks.Config;

namespace ClaudeHooks.Gateway;

/// <summary>One ref update of a push, as the client sent it to <c>git-receive-pack</c>.</summary>
internal sealed record RefUpdate(string OldId, string NewId, string Ref)
{
    public bool IsDeletion => NewId.All(c => c == '0');
}

/// <summary>
/// The command section of a smart-HTTP push (pkt-lines up to the first flush) and the report a refused push gets
/// back, in git's own format, so <c>git push</c> prints the reason next to each ref.
/// </summary>
internal static class ReceivePack
{
    /// <summary>The most bytes of commands read before the pack; a push naming more refs than fit is refused.</summary>
    public const int MaxCommandBytes = 1024 * 1024;

    /// <summary>
    /// Reads pkt-lines from <paramref name="body"/> up to the flush that ends the commands. Returns the updates, the
    /// capabilities the client asked for, and every byte read (to be sent on before the rest of the body).
    /// </summary>
    public static async Task<Commands> ReadCommandsAsync(Stream body, CancellationToken cancellationToken)
    {
        var read = new MemoryStream();
        var updates = new List<RefUpdate>();
        var capabilities = new HashSet<string>(StringComparer.Ordinal);
        var header = new byte[4];
        while (true)
        {
            if (!await ReadExactlyAsync(body, header, read, cancellationToken))
            {
                return new Commands(updates, capabilities, read.ToArray(), "the push ended before its commands did");
            }

            if (!int.TryParse(Encoding.ASCII.GetString(header), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length) || length is 1 or 2 or 3)
            {
                return new Commands(updates, capabilities, read.ToArray(), "the push is not in git's pkt-line format");
            }

            if (length == 0)
            {
                return new Commands(updates, capabilities, read.ToArray(), null);
            }

            if (read.Length + length > MaxCommandBytes)
            {
                return new Commands(updates, capabilities, read.ToArray(), $"the push names more refs than fit in {MaxCommandBytes / 1024} KiB");
            }

            var payload = new byte[length - 4];
            if (!await ReadExactlyAsync(body, payload, read, cancellationToken))
            {
                return new Commands(updates, capabilities, read.ToArray(), "the push ended inside a command");
            }

            var line = Encoding.UTF8.GetString(payload).TrimEnd('\n');
            if (updates.Count == 0 && line.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0)
            {
                capabilities.UnionWith(line[(nul + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                line = line[..nul];
            }

            if (line.StartsWith("shallow ", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line.Split(' ');
            if (parts.Length != 3 || !IsObjectId(parts[0]) || !IsObjectId(parts[1]) || parts[2].Length == 0)
            {
                return new Commands(updates, capabilities, read.ToArray(), line.StartsWith("push-cert", StringComparison.Ordinal)
                    ? "signed pushes are not accepted"
                    : "a command of the push is not '<old> <new> <ref>'");
            }

            updates.Add(new RefUpdate(parts[0], parts[1], parts[2]));
        }
    }

    /// <summary>
    /// The body of a refused push: every ref rejected (one refused ref refuses the whole push, so the remote stays as
    /// it was) with its reason, and the policy as a <c>remote:</c> message when the client reads side-band.
    /// </summary>
    public static byte[] Refusal(Commands commands, IReadOnlyDictionary<string, string> reasons, string message)
    {
        var report = new MemoryStream();
        WritePacket(report, "unpack ok\n");
        foreach (var update in commands.Updates)
        {
            var reason = reasons.TryGetValue(update.Ref, out var why) ? why : "not pushed: another ref of this push was refused";
            WritePacket(report, $"ng {update.Ref} {Flatten(reason)}\n");
        }

        report.Write("0000"u8);
        var sideBand = commands.Capabilities.Contains("side-band-64k") || commands.Capabilities.Contains("side-band");
        if (!sideBand)
        {
            return report.ToArray();
        }

        var output = new MemoryStream();
        foreach (var line in message.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            WriteBand(output, 2, Encoding.UTF8.GetBytes(line + "\n"));
        }

        var bytes = report.ToArray();
        var chunk = commands.Capabilities.Contains("side-band-64k") ? 65515 : 995;
        for (var offset = 0; offset < bytes.Length; offset += chunk)
        {
            WriteBand(output, 1, bytes.AsSpan(offset, Math.Min(chunk, bytes.Length - offset)).ToArray());
        }

        output.Write("0000"u8);
        return output.ToArray();
    }

    private static void WriteBand(MemoryStream output, byte band, byte[] data)
    {
        output.Write(Encoding.ASCII.GetBytes((data.Length + 5).ToString("x4", CultureInfo.InvariantCulture)));
        output.WriteByte(band);
        output.Write(data);
    }

    private static void WritePacket(MemoryStream output, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        output.Write(Encoding.ASCII.GetBytes((bytes.Length + 4).ToString("x4", CultureInfo.InvariantCulture)));
        output.Write(bytes);
    }

    private static string Flatten(string text) => text.ReplaceLineEndings(" ");

    private static bool IsObjectId(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigitLower);

    private static async Task<bool> ReadExactlyAsync(Stream body, byte[] buffer, MemoryStream copy, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var n = await body.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (n == 0)
            {
                copy.Write(buffer, 0, filled);
                return false;
            }

            filled += n;
        }

        copy.Write(buffer);
        return true;
    }

    internal sealed record Commands(IReadOnlyList<RefUpdate> Updates, IReadOnlySet<string> Capabilities, byte[] Prefix, string? Malformed);
}

/// <summary>
/// What each role may push through the gateway (the service's own push after a run passes the same check): the dev
/// role creates and updates only its task's branch, force included; lead and reviewer push nothing; deletions, tags
/// and every other ref are refused. The config key that governs it is the agent's role.
/// </summary>
internal static class PushPolicy
{
    public static IReadOnlyDictionary<string, string> Refusals(AgentConfig agent, string branch, IReadOnlyList<RefUpdate> updates)
    {
        var key = $"agents.{agent.Name}.role";
        var own = $"refs/heads/{branch}";
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var update in updates)
        {
            string? why = null;
            if (agent.Role != AgentRole.Dev)
            {
                why = $"claude-hooks policy: the {agent.Role.ToString().ToLowerInvariant()} role pushes nothing ({key})";
            }
            else if (update.Ref.StartsWith("refs/tags/", StringComparison.Ordinal))
            {
                why = $"claude-hooks policy: tags are never pushed; the dev role may push only {own} ({key})";
            }
            else if (update.Ref != own)
            {
                why = $"claude-hooks policy: {update.Ref} is not this task's branch; the dev role may push only {own} ({key})";
            }
            else if (update.IsDeletion)
            {
                why = $"claude-hooks policy: deleting {own} is refused; the dev role may only create and update it ({key})";
            }

            if (why is not null)
            {
                refused[update.Ref] = why;
            }
        }

        if (updates.Count == 0)
        {
            refused[""] = "claude-hooks policy: the push names no ref";
        }

        return refused;
    }
}
