using System.Net.Sockets;
using System.Text;
using ClaudeHooks.Config;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;
using ClaudeHooks.Workdir;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.Tests.Gateway;

/// <summary>
/// The gateway's model route with budgets, against a loopback upstream that streams an expensive answer whose usage
/// comes last: what a sandbox that hangs up early or asks many times at once is charged.
/// </summary>
public sealed class GatewayMeteringTests
{
    private static async Task<(WebApplication App, int Port)> UpstreamAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/messages", async (HttpContext c) =>
        {
            c.Response.ContentType = "text/event-stream; charset=utf-8";
            async Task Send(string s) { await c.Response.WriteAsync(s); await c.Response.Body.FlushAsync(); }
            await Send("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"claude-opus-4-1\",\"usage\":{\"input_tokens\":1000,\"output_tokens\":1}}}\n\n");
            for (var i = 0; i < 5; i++)
            {
                await Send("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"chunk" + i + "\"}}\n\n");
                await Task.Delay(100);
            }
            await Send("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
            await Task.Delay(300); // model finishing
            await Send("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":32000}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return (app, port);
    }

    private sealed record Gate(TempDirectory Home, WebApplication Upstream, ClaudeHooks.Gateway.HostGateway Gateway, BudgetLedger Ledger, string Url) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Upstream.StopAsync();
            await Upstream.DisposeAsync();
            Home.Dispose();
        }
    }

    private static async Task<Gate> OpenAsync(decimal cap)
    {
        var home = new TempDirectory();
        var (upstream, port) = await UpstreamAsync();
        var key = Path.Combine(home.Path, "key");
        File.WriteAllText(key, "sk-ant-test");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var paths = new ClaudeHooksPaths(home.Path);
        var config = ConfigLoader.Parse(Path.Combine(home.Path, "agents.json"), $$"""
            { "model": { "base_url": "http://127.0.0.1:{{port}}" },
              "budgets": { "per_agent_per_day_usd": {{cap.ToString(System.Globalization.CultureInfo.InvariantCulture)}} },
              "agents": { "dev": { "role": "dev", "forge_user": "d", "claude_auth": { "api_key_file": "key" }, "container": { "runtime": "local" } } } }
            """, paths);
        var clock = TimeProvider.System;
        var database = await Database.OpenAndMigrateAsync(Path.Combine(home.Path, "data"));
        var store = new SqliteTaskStore(database, clock);
        var ledger = new BudgetLedger(database);
        var machine = new TaskStateMachine(store, new NoTaskReactions(), config, clock, new ListLogger<TaskStateMachine>());
        var events = new TaskEventBus(store);
        var guard = new BudgetGuard(ledger, config, store, machine, new TaskSignals(), events, clock, new ListLogger<BudgetGuard>());
        var now = DateTimeOffset.UtcNow;
        await store.CreateTaskAsync(new TaskRecord("t1", "dev", "https://f/o/r", null, "issue-1", "do it", TaskState.Running, 1, now, now, null, LeaseOwner: "x", LeaseExpiresAt: now.AddHours(1)), "test", CancellationToken.None);
        var gateway = new ClaudeHooks.Gateway.HostGateway(config, paths, events, _ => { }, clock, NullLoggerFactory.Instance) { Budgets = guard };
        await gateway.StartAsync([], CancellationToken.None);
        var listener = gateway.OpenLocal("t1", config.Agents[0], RepositoryUrl.Parse("https://f/o/r", allowLocal: true), "issue-1");
        return new Gate(home, upstream, gateway, ledger, listener.Url);
    }

    private const string Request = """{"model":"claude-opus-4-1","max_tokens":32000,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>The answer's price: 1,000 input and 32,000 output tokens of Opus.</summary>
    private const decimal Answer = ((1000 * 15m) + (32_000 * 75m)) / 1_000_000m;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Model_StreamReadOrCutBeforeItsUsage_IsChargedTheWholeAnswer(bool cut)
    {
        await using var gate = await OpenAsync(100);
        var uri = new Uri(gate.Url);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(uri.Host, uri.Port);
            var stream = client.GetStream();
            var request = $"POST /v1/messages HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(Request)}\r\n\r\n{Request}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
            var seen = new StringBuilder();
            var buffer = new byte[4096];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
                if ((cut && seen.ToString().Contains("content_block_stop", StringComparison.Ordinal)) || seen.ToString().Contains("message_stop\"", StringComparison.Ordinal))
                {
                    break;
                }
            }

            Assert.Contains("chunk4", seen.ToString(), StringComparison.Ordinal);
            client.Client.Shutdown(SocketShutdown.Both);
        }

        var spend = await EventuallyAsync(gate.Ledger);
        Assert.Equal(32_000, spend.OutputTokens);
        Assert.Equal(Answer, spend.Usd);
    }

    [Fact]
    public async Task Model_ManyRequestsAtOnce_AtMostFourPassBeforeTheCapIsCheckedAgain()
    {
        await using var gate = await OpenAsync(1);
        using var http = new HttpClient();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await http.PostAsync(gate.Url + "/v1/messages", new StringContent(Request, Encoding.UTF8, "application/json"));
            await response.Content.ReadAsStringAsync();
            return (int)response.StatusCode;
        }));

        Assert.True(statuses.Count(s => s == 200) <= ClaudeHooks.Gateway.HostGateway.MaxModelRequestsPerTask, string.Join(",", statuses));
        Assert.Contains(403, statuses);
        var spend = await EventuallyAsync(gate.Ledger);
        Assert.True(spend.Usd <= ClaudeHooks.Gateway.HostGateway.MaxModelRequestsPerTask * Answer, $"{spend.Usd}");
    }

    private static async Task<BudgetSpend> EventuallyAsync(BudgetLedger ledger)
    {
        for (var i = 0; i < 100; i++)
        {
            if ((await ledger.TaskSpendAsync(["t1"], CancellationToken.None)).GetValueOrDefault("t1") is { } spend)
            {
                return spend;
            }

            await Task.Delay(50);
        }

        throw new Xunit.Sdk.XunitException("the gateway recorded no spend for t1");
    }
}
