using System.Text.Json;
using System.Text.Json.Nodes;
using ClaudeHooks.Containers;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// Real repositories on the real service: a <c>repositories</c> entry (a URL pattern of the git remote) picks a
/// toolchain stack, and the dev agent, scripted, runs the repository's own tests in that stack's sandbox, fixes the
/// code and commits; the service pushes. A Node repository's setup (<c>npm ci</c>) installs from an npm registry on
/// loopback that the entry's <c>egress_allow</c> opens, and fails with the gateway's denial where no entry opens it.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class StackRepositoryTests(DockerFixture fixture, StackRepositoriesFixture shared) : IClassFixture<StackRepositoriesFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    private string PythonOwner => $"py-{shared.Service.Id}";

    private string NodeOwner => $"npm-{shared.Service.Id}";

    private string ClosedOwner => $"npm-closed-{shared.Service.Id}";

    private FakeNpmRegistry Registry => shared.Registry;

    [SkippableFact]
    public async Task PythonRepository_RunsPytestInThePythonStack_FixesTheCode_AndTheFixIsPushed()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await RequireStackAsync("python", cts.Token);
        var service = await ServiceAsync();
        fixture.Git.RequiredToken = fixture.DevToken;
        var name = "calc-" + NewId();
        var repo = await fixture.Git.CreateRepositoryAsync(PythonOwner, name, new Dictionary<string, string>
        {
            ["calc/__init__.py"] = "def add(a, b):\n    return a - b\n",
            ["tests/test_calc.py"] = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n",
        });
        const string Pytest = "python3 -m pytest -q -p no:cacheprovider 2>&1; echo \"pytest exit=$?\"";
        fixture.Model.EnqueueFor($"pytest-{name}",
            ScriptedTurn.Bash(Pytest),
            ScriptedTurn.Bash("sed -i 's/a - b/a + b/' calc/__init__.py && git diff --stat"),
            ScriptedTurn.Bash(Pytest),
            ScriptedTurn.Bash("git commit -qam 'Fix add' && git log -1 --format=%s"),
            ScriptedTurn.Text("add() adds now; the test passes."));

        var (_, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"pytest-{name}: make the tests pass", thread = "issue-1" }, cts.Token);

        Assert.True(task.GetProperty("state").GetString() == "succeeded", task.ToString());
        var image = TaskEvent.Single(events, "runner/image");
        Assert.Equal(Stacks.Image("python"), image.GetProperty("image").GetString());
        Assert.Equal("repository", image.GetProperty("chosen_by").GetString());
        Assert.Equal($"repositories.{RepositoryService.Pattern(fixture, PythonOwner)}.stack", image.GetProperty("source").GetString());

        // pytest's own output, of the failing run and then of the green one.
        var results = TaskEvent.ToolResults(events);
        Assert.True(results.Count == 4, string.Join("\n", results));
        Assert.Contains("1 failed", results[0], StringComparison.Ordinal);
        Assert.Contains("assert -1 == 5", results[0], StringComparison.Ordinal);
        Assert.Contains("pytest exit=1", results[0], StringComparison.Ordinal);
        Assert.Contains("1 passed", results[2], StringComparison.Ordinal);
        Assert.Contains("pytest exit=0", results[2], StringComparison.Ordinal);

        var pushed = Assert.Single(task.GetProperty("outcome").GetProperty("pushed_commits").EnumerateArray());
        Assert.Equal("Fix add", pushed.GetProperty("subject").GetString());
        var bare = fixture.Git.BarePath(PythonOwner, name);
        Assert.Equal(pushed.GetProperty("sha").GetString(), (await GitHttpServer.GitAsync(bare, "rev-parse", "refs/heads/dev/issue-1")).Trim());
        Assert.Equal("def add(a, b):\n    return a + b\n", await GitHttpServer.GitAsync(bare, "show", "refs/heads/dev/issue-1:calc/__init__.py"));
        Assert.Contains("return a - b", await GitHttpServer.GitAsync(bare, "show", "main:calc/__init__.py"), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task NodeRepository_SetupInstallsFromTheAllowedRegistry_NpmTestFailsThenPasses_AndTheEgressLogHasTheRequests()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await RequireStackAsync("node", cts.Token);
        var service = await ServiceAsync();
        fixture.Git.RequiredToken = fixture.DevToken;
        var name = "sum-" + NewId();
        var repo = await fixture.Git.CreateRepositoryAsync(NodeOwner, name, NodeProject(name));
        var before = Registry.RequestPaths.Count;
        const string NpmTest = "npm test 2>&1; echo \"npm test exit=$?\"";
        fixture.Model.EnqueueFor($"npm-{name}",
            ScriptedTurn.Bash($"npm view {FakeNpmRegistry.PackageName} dist.shasum 2>&1"),
            ScriptedTurn.Bash(NpmTest),
            ScriptedTurn.Bash("sed -i 's/a - b/a + b/' index.js && git diff --stat"),
            ScriptedTurn.Bash(NpmTest),
            ScriptedTurn.Bash("git commit -qam 'Fix add' && git status --porcelain && git log -1 --format=%s"),
            ScriptedTurn.Text("add() adds now; npm test passes."));

        var (id, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"npm-{name}: make npm test pass", thread = "issue-2" }, cts.Token);

        Assert.True(task.GetProperty("state").GetString() == "succeeded", task.ToString());
        var image = TaskEvent.Single(events, "runner/image");
        Assert.Equal(Stacks.Image("node"), image.GetProperty("image").GetString());
        Assert.Equal("repository", image.GetProperty("chosen_by").GetString());

        // The setup ran before Claude Code, and npm installed the package from the registry through the gateway.
        var setup = TaskEvent.Single(events, "runner/setup");
        Assert.Equal("npm ci", setup.GetProperty("command").GetString());
        Assert.True(setup.GetProperty("exit_code").GetInt64() == 0, setup.ToString());
        Assert.Contains("added 1 package", setup.GetProperty("output").GetString(), StringComparison.Ordinal);
        Assert.True(events.First(e => e.Type == "runner/setup").Seq < events.First(e => e.Type == "runner/start").Seq);
        Assert.Contains(Registry.TarballPath, Registry.RequestPaths.Skip(before));

        // The agent's own npm reads the package's document from the same registry; then npm test fails, and passes after the fix.
        var results = TaskEvent.ToolResults(events);
        Assert.True(results.Count == 5, string.Join("\n", results));
        Assert.Contains(Registry.Shasum, results[0], StringComparison.Ordinal);
        Assert.Contains("fail 1", results[1], StringComparison.Ordinal);
        Assert.Contains("npm test exit=1", results[1], StringComparison.Ordinal);
        Assert.Contains("pass 1", results[3], StringComparison.Ordinal);
        Assert.Contains("fail 0", results[3], StringComparison.Ordinal);
        Assert.Contains("npm test exit=0", results[3], StringComparison.Ordinal);

        var bare = fixture.Git.BarePath(NodeOwner, name);
        Assert.Contains("(a, b) => a + b", await GitHttpServer.GitAsync(bare, "show", "refs/heads/dev/issue-2:index.js"), StringComparison.Ordinal);
        Assert.Equal("Fix add", (await GitHttpServer.GitAsync(bare, "log", "-1", "--format=%s", "refs/heads/dev/issue-2")).Trim());

        // The gateway let the registry's requests through by the entry's rule, and logged them.
        var egress = await service.EgressAsync(id, r => r.Any(IsTarball) && r.Any(IsDocument), cts.Token);
        foreach (var fetched in new[] { Assert.Single(egress, IsTarball), egress.First(IsDocument) })
        {
            Assert.Equal("allowed", fetched.GetProperty("decision").GetString());
            Assert.Equal("http", fetched.GetProperty("route").GetString());
            Assert.Equal("GET", fetched.GetProperty("method").GetString());
            Assert.Equal(200, fetched.GetProperty("status").GetInt32());
            Assert.Equal(Registry.Rule, fetched.GetProperty("rule").GetString());
            Assert.True(fetched.GetProperty("bytes_in").GetInt64() > 0);
        }

        Assert.DoesNotContain(egress, r => r.GetProperty("decision").GetString() == "denied");
    }

    [SkippableFact]
    public async Task NodeRepository_WithoutTheRegistryInItsAllowlist_SetupFailsWithTheGatewaysDenial_AndTheEgressLogNamesTheKey()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await RequireStackAsync("node", cts.Token);
        var service = await ServiceAsync();
        fixture.Git.RequiredToken = fixture.DevToken;
        var name = "sum-" + NewId();
        var repo = await fixture.Git.CreateRepositoryAsync(ClosedOwner, name, NodeProject(name));
        var before = Registry.RequestPaths.Count;
        var conversations = fixture.Model.ConversationRequests.Count;
        fixture.Model.EnqueueFor($"npm-{name}", ScriptedTurn.Text("should never run"));

        var (id, task, events) = await service.RunAsync(new { agent = "dev", repo, prompt = $"npm-{name}: make npm test pass", thread = "issue-3" }, cts.Token);

        var key = RepositoryService.Pattern(fixture, ClosedOwner);
        Assert.Equal("failed", task.GetProperty("state").GetString());
        var reason = task.GetProperty("outcome").GetProperty("reason").GetString()!;
        Has(reason, $"the setup command `npm ci` (repositories.{key}.setup) failed");
        Has(reason, $"403 Forbidden - GET {Registry.TarballUrl}");
        Has(reason, "egress denied by the claude-hooks gateway");
        Assert.DoesNotContain(events, e => e.Type == "runner/start");
        Assert.Equal(conversations, fixture.Model.ConversationRequests.Count);
        Assert.DoesNotContain(Registry.TarballPath, Registry.RequestPaths.Skip(before));

        var denied = TaskEvent.Single(events, "gateway/denied");
        Assert.Equal(FakeNpmRegistry.Address, denied.GetProperty("host").GetString());
        Assert.Equal("http", denied.GetProperty("route").GetString());
        Has(denied.GetProperty("message").GetString()!, $"add \"{Registry.Rule}\" to agents.dev.egress_allow");

        var egress = await service.EgressAsync(id, r => r.Any(IsTarball), cts.Token);
        var refused = Assert.Single(egress, IsTarball);
        Assert.Equal("denied", refused.GetProperty("decision").GetString());
        Assert.Equal(403, refused.GetProperty("status").GetInt32());
        Assert.Equal(Registry.Rule, refused.GetProperty("host").GetString());
        Assert.Equal($"default deny (allow it in agents.dev.egress_allow or repositories.{key}.egress_allow)", refused.GetProperty("rule").GetString());
    }

    private static void Has(string text, string part) => Assert.True(text.Contains(part, StringComparison.Ordinal), $"no \"{part}\" in: {text}");

    private bool IsTarball(JsonElement record) => record.GetProperty("path").GetString() == Registry.TarballPath && record.GetProperty("host").GetString() == Registry.Rule;

    private bool IsDocument(JsonElement record) => record.GetProperty("path").GetString() == $"/{FakeNpmRegistry.PackageName}" && record.GetProperty("host").GetString() == Registry.Rule;

    /// <summary>A Node project whose test needs the registry's package: <c>npm ci</c> must have installed it for <c>npm test</c> to get as far as the assertion.</summary>
    private Dictionary<string, string> NodeProject(string name) => new()
    {
        ["package.json"] = $$"""
            { "name": "{{name}}", "version": "1.0.0", "private": true,
              "scripts": { "test": "node --test" },
              "dependencies": { "{{FakeNpmRegistry.PackageName}}": "{{FakeNpmRegistry.Version}}" } }
            """,
        ["package-lock.json"] = Registry.LockFile(name),
        [".npmrc"] = $"registry={Registry.Url}\naudit=false\nfund=false\nupdate-notifier=false\n",
        [".gitignore"] = "node_modules/\n",
        ["index.js"] = "exports.add = (a, b) => a - b;\n",
        ["add.test.js"] = $$"""
            const test = require('node:test');
            const { equal } = require('{{FakeNpmRegistry.PackageName}}');
            const { add } = require('./index.js');
            test('add adds', () => equal(add(2, 3), 5));
            """,
    };

    private Task<RepositoryService> ServiceAsync() => shared.Service.GetAsync(() => RepositoryService.StartAsync(fixture, config =>
    {
        config["repositories"] = new JsonObject
        {
            [RepositoryService.Pattern(fixture, PythonOwner)] = new JsonObject { ["stack"] = "python" },
            [RepositoryService.Pattern(fixture, NodeOwner)] = new JsonObject
            {
                ["stack"] = "node",
                ["setup"] = "npm ci",
                ["setup_timeout"] = "2m",
                ["egress_allow"] = new JsonArray(Registry.Rule),
            },
            [RepositoryService.Pattern(fixture, ClosedOwner)] = new JsonObject { ["stack"] = "node", ["setup"] = "npm ci", ["setup_timeout"] = "2m" },
        };
    }));

    /// <summary>The stack images are built before the suite runs (they download their toolchains; tests reach nothing but loopback).</summary>
    private async Task RequireStackAsync(string stack, CancellationToken cancellationToken)
    {
        try
        {
            await fixture.Docker.Images.InspectImageAsync(Stacks.Image(stack), cancellationToken);
        }
        catch (Docker.DotNet.DockerImageNotFoundException)
        {
            Assert.Fail($"{Stacks.Image(stack)} is not built; build it with '{Stacks.BuildCommand(Stacks.Image(stack))}' before running these tests");
        }
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..8];
}
