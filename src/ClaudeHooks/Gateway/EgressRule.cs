using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ClaudeHooks.Gateway;

/// <summary>
/// One entry of an egress allowlist: an exact host name or address, or <c>*.example.org</c> (any name under it, not
/// the name itself), with an optional <c>:port</c>. Without a port only 443 and 80 match. <see cref="ConfigKey"/>
/// says where the entry was written, so a decision can name it.
/// </summary>
internal sealed partial record EgressRule(string Text, string Host, bool Wildcard, int? Port, string ConfigKey)
{
    public static readonly int[] DefaultPorts = [443, 80];

    /// <summary>Whether the rule names an address rather than a name (such a rule may reach a private address).</summary>
    public bool IsAddress => IPAddress.TryParse(Host, out _);

    public bool Matches(string host, int port)
    {
        if (Port is { } only ? only != port : !DefaultPorts.Contains(port))
        {
            return false;
        }

        host = Normalize(host);
        return Wildcard ? host.EndsWith("." + Host, StringComparison.Ordinal) && host.Length > Host.Length + 1 : host == Host;
    }

    /// <summary>Parses one entry; null with <paramref name="error"/> set when it is not a rule.</summary>
    public static EgressRule? Parse(string text, string configKey, out string? error)
    {
        error = null;
        var entry = text.Trim();
        if (entry.Contains("://", StringComparison.Ordinal) || entry.Contains('/', StringComparison.Ordinal))
        {
            error = $"\"{text}\" is a URL, not a host rule; give the host name (api.example.org), a wildcard (*.example.org) or an address, each with an optional :port";
            return null;
        }

        int? port = null;
        var hostPart = entry;
        if (entry.StartsWith('['))
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"\"{text}\" has an unclosed '['; write an IPv6 address as [::1]:8443";
                return null;
            }

            hostPart = entry[1..close];
            var rest = entry[(close + 1)..];
            if (rest.Length > 0 && !TryPort(rest, out port, out error, text))
            {
                return null;
            }
        }
        else if (entry.LastIndexOf(':') is var colon and > 0 && entry.IndexOf(':') == colon)
        {
            hostPart = entry[..colon];
            if (!TryPort(entry[colon..], out port, out error, text))
            {
                return null;
            }
        }

        var wildcard = hostPart.StartsWith("*.", StringComparison.Ordinal);
        var host = Normalize(wildcard ? hostPart[2..] : hostPart);
        if (IPAddress.TryParse(host, out var address))
        {
            if (wildcard)
            {
                error = $"\"{text}\": a wildcard takes a name, not an address";
                return null;
            }

            host = address.ToString();
        }
        else if (!HostPattern().IsMatch(host))
        {
            error = $"\"{text}\" is not a host rule; use an exact name (api.example.org), a wildcard (*.example.org) or an address, each with an optional :port";
            return null;
        }

        return new EgressRule(entry, host, wildcard, port, configKey);
    }

    private static bool TryPort(string text, out int? port, out string? error, string original)
    {
        port = null;
        error = null;
        if (text.Length > 1 && text[0] == ':' && int.TryParse(text[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and < 65536)
        {
            port = value;
            return true;
        }

        error = $"\"{original}\" has no valid port after ':'; use a number from 1 to 65535";
        return false;
    }

    private static string Normalize(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")]
    private static partial Regex HostPattern();
}

/// <summary>An outbound destination's verdict: allowed by a rule, or denied with the rule that decided and the config key to change.</summary>
internal sealed record EgressDecision(bool Allowed, string Rule, string ConfigKey, string? Message = null);

/// <summary>Decides CONNECT and plain-HTTP proxy requests against a task's allowlists (agent's, then repository's). Default deny.</summary>
internal static class EgressPolicy
{
    public static EgressDecision Decide(IReadOnlyList<EgressRule> rules, string host, int port, string agentKey)
    {
        foreach (var rule in rules)
        {
            if (rule.Matches(host, port))
            {
                return new EgressDecision(true, rule.Text, rule.ConfigKey);
            }
        }

        return new EgressDecision(false, "default deny", agentKey,
            $"{host}:{port.ToString(CultureInfo.InvariantCulture)} is not in the egress allowlist; an operator can add \"{host}{(EgressRule.DefaultPorts.Contains(port) ? "" : ":" + port.ToString(CultureInfo.InvariantCulture))}\" to {agentKey} (or the repository's repositories.<repo>.egress_allow)");
    }

    /// <summary>
    /// Whether a resolved address may be reached for a rule. A rule naming a host by name never reaches loopback,
    /// private, link-local or unspecified addresses (a name can be pointed anywhere); a rule naming an address may.
    /// </summary>
    public static bool MayReach(EgressRule rule, IPAddress address)
    {
        if (rule.IsAddress)
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast)
        {
            return false;
        }

        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] < 32) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] < 128) || b[0] == 0 || b[0] >= 224
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)));
        }

        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses carry an IPv4 address inside.
        var v6 = address.GetAddressBytes();
        return !((v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b) || (v6[0] == 0x20 && v6[1] == 0x02));
    }
}
