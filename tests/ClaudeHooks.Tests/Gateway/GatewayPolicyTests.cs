using System.Net;
using System.Text;
using ClaudeHooks.Config;
using ClaudeHooks.Gateway;

namespace ClaudeHooks.Tests.Gateway;

/// <summary>The gateway's decisions that need no socket: allowlist rules, the push policy and git's push format.</summary>
public sealed class GatewayPolicyTests
{
    [Theory]
    [InlineData("api.example.org", "api.example.org", 443, true)]
    [InlineData("api.example.org", "API.Example.org.", 80, true)]
    [InlineData("api.example.org", "api.example.org", 8443, false)]
    [InlineData("api.example.org:8443", "api.example.org", 8443, true)]
    [InlineData("api.example.org:8443", "api.example.org", 443, false)]
    [InlineData("*.example.org", "a.b.example.org", 443, true)]
    [InlineData("*.example.org", "example.org", 443, false)]
    [InlineData("*.example.org", "evil-example.org", 443, false)]
    [InlineData("127.0.0.2:9000", "127.0.0.2", 9000, true)]
    [InlineData("[::1]:9000", "::1", 9000, true)]
    public void Rule_Matches_ExactlyWhatItNames(string text, string host, int port, bool matches)
    {
        var rule = EgressRule.Parse(text, "agents.dev.egress_allow", out var error);

        Assert.Null(error);
        Assert.Equal(matches, rule!.Matches(host, port));
    }

    [Theory]
    [InlineData("https://api.example.org", "is a URL, not a host rule")]
    [InlineData("api.example.org:99999", "no valid port")]
    [InlineData("*.10.0.0.1", "a wildcard takes a name")]
    [InlineData("[::1", "unclosed '['")]
    [InlineData("a b", "is not a host rule")]
    public void Rule_Invalid_SaysWhatIsWrong(string text, string message)
    {
        Assert.Null(EgressRule.Parse(text, "k", out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoRule_DeniesNamingTheHostTheRuleAndTheKey()
    {
        var decision = EgressPolicy.Decide([], "pypi.org", 443, "agents.dev.egress_allow");

        Assert.False(decision.Allowed);
        Assert.Equal("default deny", decision.Rule);
        Assert.Equal("agents.dev.egress_allow", decision.ConfigKey);
        Assert.Contains("add \"pypi.org\" to agents.dev.egress_allow", decision.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void MayReach_ANameRule_NeverReachesAPrivateAddress_AnAddressRuleDoes(string address)
    {
        var name = EgressRule.Parse("api.example.org", "k", out _)!;
        var literal = EgressRule.Parse(address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:80" : address, "k", out _)!;

        Assert.False(EgressPolicy.MayReach(name, IPAddress.Parse(address)));
        Assert.True(EgressPolicy.MayReach(literal, IPAddress.Parse(address)));
        Assert.True(EgressPolicy.MayReach(name, IPAddress.Parse("93.184.216.34")));
    }

    [Fact]
    public void PushPolicy_Dev_OnlyItsOwnBranch_NoTagsNoDeletions()
    {
        var dev = Agent("dev");
        const string zero = "0000000000000000000000000000000000000000";
        const string a = "1111111111111111111111111111111111111111";

        Assert.Empty(PushPolicy.Refusals(dev, "dev/issue-1", [new RefUpdate(zero, a, "refs/heads/dev/issue-1")]));
        Assert.Empty(PushPolicy.Refusals(dev, "dev/issue-1", [new RefUpdate(a, a.Replace('1', '2'), "refs/heads/dev/issue-1")]));
        Assert.Contains("is not this task's branch", PushPolicy.Refusals(dev, "dev/issue-1", [new RefUpdate(a, a, "refs/heads/main")])["refs/heads/main"], StringComparison.Ordinal);
        Assert.Contains("is not this task's branch", PushPolicy.Refusals(dev, "dev/issue-1", [new RefUpdate(a, a, "refs/heads/dev/issue-2")])["refs/heads/dev/issue-2"], StringComparison.Ordinal);
        Assert.Contains("tags are never pushed", PushPolicy.Refusals(dev, "dev/issue-1", [new RefUpdate(zero, a, "refs/tags/v9.9.9")])["refs/tags/v9.9.9"], StringComparison.Ordinal);
        Assert.Contains("deleting refs/heads/dev/issue-1 is refused", PushPolicy.Refusals(dev, "dev/issue-1", [new RefUpdate(a, zero, "refs/heads/dev/issue-1")])["refs/heads/dev/issue-1"], StringComparison.Ordinal);
        Assert.Contains("(agents.dev.role)", PushPolicy.Refusals(dev, "dev/issue-1", [new RefUpdate(a, a, "refs/heads/main")])["refs/heads/main"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("reviewer")]
    [InlineData("lead")]
    public void PushPolicy_OtherRoles_PushNothing(string role)
    {
        var refusals = PushPolicy.Refusals(Agent(role), $"{role}/x", [new RefUpdate(new string('0', 40), new string('1', 40), $"refs/heads/{role}/x")]);

        Assert.Contains($"the {role} role pushes nothing", Assert.Single(refusals).Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadCommands_ParsesEveryUpdateAndCapabilities_AndKeepsTheBytesRead()
    {
        var body = Packet($"{new string('0', 40)} {new string('a', 40)} refs/heads/dev/x\0report-status side-band-64k agent=git/2.39\n")
            + Packet($"{new string('b', 40)} {new string('0', 40)} refs/heads/main\n") + "0000PACK...";
        await using var stream = new MemoryStream(Encoding.UTF8.GetBytes(body));

        var commands = await ReceivePack.ReadCommandsAsync(stream, CancellationToken.None);

        Assert.Null(commands.Malformed);
        Assert.Equal(["refs/heads/dev/x", "refs/heads/main"], commands.Updates.Select(u => u.Ref));
        Assert.True(commands.Updates[1].IsDeletion);
        Assert.Contains("side-band-64k", commands.Capabilities);
        Assert.Equal(body[..^"PACK...".Length], Encoding.UTF8.GetString(commands.Prefix));
    }

    [Theory]
    [InlineData("zzzz")]
    [InlineData("0010not-a-command")]
    [InlineData("00a0truncated")]
    public async Task ReadCommands_Malformed_IsNamed(string body)
    {
        await using var stream = new MemoryStream(Encoding.UTF8.GetBytes(body));

        Assert.NotNull((await ReceivePack.ReadCommandsAsync(stream, CancellationToken.None)).Malformed);
    }

    [Fact]
    public void Refusal_SideBand_ReportsEachRefAsRejected_WithThePolicyAsRemoteMessage()
    {
        var commands = new ReceivePack.Commands([new RefUpdate(new string('a', 40), new string('b', 40), "refs/heads/main"), new RefUpdate(new string('a', 40), new string('b', 40), "refs/heads/dev/x")],
            new HashSet<string> { "report-status", "side-band-64k" }, [], null);

        var text = Encoding.UTF8.GetString(ReceivePack.Refusal(commands, new Dictionary<string, string> { ["refs/heads/main"] = "claude-hooks policy: no" }, "claude-hooks policy: no"));

        Assert.Contains("\u0002claude-hooks policy: no\n", text, StringComparison.Ordinal);
        Assert.Contains("unpack ok\n", text, StringComparison.Ordinal);
        Assert.Contains("ng refs/heads/main claude-hooks policy: no\n", text, StringComparison.Ordinal);
        Assert.Contains("ng refs/heads/dev/x not pushed: another ref of this push was refused\n", text, StringComparison.Ordinal);
        Assert.EndsWith("0000", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_EgressAllowAndNetwork_AreValidatedWithTheKey()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("agents.json", """
            { "agents": { "dev": { "role": "dev", "forge_user": "d", "egress_allow": ["https://x.org"], "container": { "network_acknowledged": true } } } }
            """, new ClaudeHooksPaths("/nonexistent")));

        Assert.Contains(error.Errors, e => e.Contains("agents.dev.egress_allow", StringComparison.Ordinal) && e.Contains("is a URL, not a host rule", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("agents.dev.container.network_acknowledged", StringComparison.Ordinal) && e.Contains("has none", StringComparison.Ordinal));
    }

    [Fact]
    public void Config_AgentNetwork_IsAnOverrideListedWithTheRouteAroundTheGateway()
    {
        var config = ConfigLoader.Parse("agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "network": "agent" } } } }""", new ClaudeHooksPaths("/nonexistent"));

        Assert.True(config.Agents[0].Container.HasNetwork);
        Assert.Contains(config.Agents[0].HardeningOverrides, o => o.Contains("a route around the gateway", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_ASocketPathTooLongForUnix_SaysToShortenTheHome()
    {
        var transport = new SocketTransport(Microsoft.Extensions.Logging.Abstractions.NullLogger<SocketTransport>.Instance);
        var path = Path.Combine(Path.GetTempPath(), new string('a', 120), "gateway.sock");

        var error = Assert.Throws<GatewayException>(() => transport.Open("s", path, UnixFileMode.UserRead | UnixFileMode.UserWrite));

        Assert.Contains("a Unix socket's path may have; set CLAUDE_HOOKS_HOME to a shorter folder", error.Message, StringComparison.Ordinal);
    }

    private static string Packet(string text) => (Encoding.UTF8.GetByteCount(text) + 4).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + text;

    private static AgentConfig Agent(string role) =>
        ConfigLoader.Parse("agents.json", $$"""{ "agents": { "{{(role == "lead" ? "boss" : role)}}": { "role": "{{role}}", "forge_user": "u-{{role}}" } } }""", new ClaudeHooksPaths("/nonexistent")).Agents[0];
}

/// <summary>What the model route refuses in a Messages API body, and what it lets through.</summary>
public sealed class ModelRequestInspectionTests
{
    [Theory]
    [InlineData("""{"model":"m","mcp_servers":[{"type":"url","url":"https://x.example/"}],"messages":[]}""", "mcp_servers")]
    [InlineData("""{"model":"m","tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[]}""", "web_search_20250305")]
    [InlineData("""{"tools":[{"type":"web_search_20250305","name":"w"}],"tools":[],"messages":[]}""", "web_search_20250305")]
    [InlineData("""{"tools":[{"type":"web_fetch_20250910","type":"custom","name":"w"}]}""", "web_fetch_20250910")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://a.example/x.png?d=s"}}]}]}""", "url source")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"document","source":{"type":"file","file_id":"f1"}}]}]}]}""", "Files API")]
    [InlineData("""{"container":"c1","messages":[]}""", "container")]
    [InlineData("""{"messages":[ }""", "not JSON")]
    public void Problem_WaysOutPastTheGateway_AreRefused(string body, string named) =>
        Assert.Contains(named, ModelRequestInspection.Problem(body), StringComparison.Ordinal);

    [Fact]
    public void Problem_AnOrdinaryConversation_PassesWhateverItsTextSays()
    {
        const string body = """
            {"model":"m","max_tokens":100,"stream":true,"system":[{"type":"text","text":"mcp_servers web_search source url"}],
             "tools":[{"name":"Bash","description":"d","input_schema":{"type":"object","properties":{"container":{"type":"string"},"source":{"type":"string"}}}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"{\"source\":{\"type\":\"url\"}}"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]}
            """;

        Assert.Null(ModelRequestInspection.Problem(body));
    }
}
