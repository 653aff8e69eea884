using System.Text.Json.Nodes;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// CA certificates trusted at task time, on the real service: an HTTPS server on loopback presents a certificate from
/// a CA made in the test. A repository whose setup fetches from it (through the gateway's CONNECT, which its entry's
/// <c>egress_allow</c> opens) succeeds when <c>images.extra_ca_bundle</c> names that CA, and the agent's own curl
/// gets through too; without it the same setup fails with curl's certificate error, whatever CAs the host adds.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class SandboxTrustTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task ExtraCaBundleNamesTheTestCa_CurlThroughTheProxySucceeds_InSetupAndForTheAgent()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var id = Guid.NewGuid().ToString("N")[..8];
        await using var server = await TestTlsServer.StartAsync($"hello-over-tls-{id}");
        var folder = Directory.CreateTempSubdirectory("claude-hooks-test-ca-").FullName;
        try
        {
            var bundle = Path.Combine(folder, "test-ca.pem");
            await File.WriteAllTextAsync(bundle, server.CaPem, cts.Token);
            var owner = $"tls-{id}";
            await using var service = await StartAsync(owner, server, bundle);
            var repo = await NewRepositoryAsync(owner);
            fixture.Model.EnqueueFor($"tls-{id}", ScriptedTurn.Bash($"curl -sS {server.Url}; echo \" curl=$?\""), ScriptedTurn.Text("fetched it"));

            var (taskId, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"tls-{id}: fetch the page", thread = "issue-1" }, cts.Token);

            Assert.True(task.GetProperty("state").GetString() == "succeeded", task.ToString());
            var setup = TaskEvent.Single(events, "runner/setup");
            Assert.Equal(0, setup.GetProperty("exit_code").GetInt64());
            Assert.Equal(server.Body, setup.GetProperty("output").GetString());
            var seen = Assert.Single(TaskEvent.ToolResults(events));
            Assert.Contains($"{server.Body} curl=0", seen, StringComparison.Ordinal);

            var egress = await service.EgressAsync(taskId, r => r.Count(IsTunnel) >= 2, cts.Token);
            Assert.Equal(2, egress.Count(IsTunnel));
            Assert.All(egress.Where(IsTunnel), r => Assert.Equal("allowed", r.GetProperty("decision").GetString()));

            bool IsTunnel(System.Text.Json.JsonElement r) => r.GetProperty("route").GetString() == "connect" && r.GetProperty("host").GetString() == server.Rule;
        }
        finally
        {
            // Sandboxes of this home trust what the fixture's own config says again.
            SandboxTrust.Prepare(fixture.Config);
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public async Task NoExtraCaBundle_TheSameSetupFailsWithCurlsCertificateError()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        var id = Guid.NewGuid().ToString("N")[..8];
        await using var server = await TestTlsServer.StartAsync($"hello-over-tls-{id}");
        var owner = $"tls-{id}";
        await using var service = await StartAsync(owner, server, bundle: null);
        var repo = await NewRepositoryAsync(owner);
        fixture.Model.EnqueueFor($"tls-{id}", ScriptedTurn.Text("should never run"));

        var (taskId, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"tls-{id}: fetch the page", thread = "issue-1" }, cts.Token);

        Assert.Equal("failed", task.GetProperty("state").GetString());
        var reason = task.GetProperty("outcome").GetProperty("reason").GetString()!;
        Assert.True(reason.Contains($"the setup command `curl -sS {server.Url}`", StringComparison.Ordinal) && reason.Contains("failed with exit code 60", StringComparison.Ordinal), reason);
        Assert.True(reason.Contains("curl failed to verify the legitimacy of the server", StringComparison.Ordinal), reason);
        var output = TaskEvent.Single(events, "runner/setup").GetProperty("output").GetString()!;
        Assert.Contains("curl: (60) SSL certificate problem: unable to get local issuer certificate", output, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Body, output, StringComparison.Ordinal);

        // The gateway let the tunnel through: what failed is the certificate, inside the sandbox.
        var egress = await service.EgressAsync(taskId, r => r.Any(x => x.GetProperty("host").GetString() == server.Rule), cts.Token);
        var tunnel = Assert.Single(egress, r => r.GetProperty("host").GetString() == server.Rule);
        Assert.Equal("allowed", tunnel.GetProperty("decision").GetString());
    }

    private Task<RepositoryService> StartAsync(string owner, TestTlsServer server, string? bundle) => RepositoryService.StartAsync(fixture, config =>
    {
        if (bundle is not null)
        {
            config["images"]!["extra_ca_bundle"] = bundle;
        }

        config["repositories"] = new JsonObject
        {
            [RepositoryService.Pattern(fixture, owner)] = new JsonObject
            {
                ["egress_allow"] = new JsonArray(server.Rule),
                ["setup"] = $"curl -sS {server.Url}",
                ["setup_timeout"] = "1m",
            },
        };
    });

    private async Task<string> NewRepositoryAsync(string owner)
    {
        fixture.Git.RequiredToken = fixture.DevToken;
        return await fixture.Git.CreateRepositoryAsync(owner, "page", new Dictionary<string, string> { ["README.md"] = "# tls\n" });
    }
}
