using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClaudeHooks.IntegrationTests.Containers;

/// <summary>
/// Each toolchain stack in a task sandbox made exactly as the service makes one (the default hardening: read-only
/// root, no capabilities, no network, a tmpfs home, a noexec /tmp), its toolchain run as the agent's user. A missing
/// stack image fails the test with the command that builds it (scripts/test builds every stack first).
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class StackImageTests(DockerFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [SkippableFact]
    public async Task NodeStack_RunsNode_AndAnNpmTestScriptThatPassesAndOneThatFails()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await InSandboxAsync("node", async run =>
        {
            var node = await run("node -e 'console.log(process.version, [1, 2, 3].map(x => x * 2).join(\",\"))'");
            Assert.True(node.Succeeded, node.Stderr);
            Assert.Matches(@"^v24\.\d+\.\d+ 2,4,6$", node.Stdout.Trim());

            var passing = await run("""
                set -e
                mkdir ~/calc && cd ~/calc
                npm init -y >/dev/null
                npm pkg set scripts.test="node --test"
                mkdir test
                printf '%s\n' 'const test = require("node:test");' 'const assert = require("node:assert");' \
                    'test("adds", () => assert.strictEqual(1 + 2, 3));' > test/add.test.js
                npm test 2>&1
                """);
            Assert.True(passing.Succeeded, passing.Stdout + passing.Stderr);
            Assert.Contains("> node --test", passing.Stdout, StringComparison.Ordinal);
            Assert.Contains("pass 1", passing.Stdout, StringComparison.Ordinal);
            Assert.Contains("fail 0", passing.Stdout, StringComparison.Ordinal);

            var failing = await run("""
                cd ~/calc
                printf '%s\n' 'const test = require("node:test");' 'const assert = require("node:assert");' \
                    'test("subtracts", () => assert.strictEqual(3 - 1, 1));' > test/sub.test.js
                npm test 2>&1
                """);
            Assert.NotEqual(0, failing.ExitCode);
            Assert.Contains("fail 1", failing.Stdout, StringComparison.Ordinal);
            Assert.Contains("subtracts", failing.Stdout, StringComparison.Ordinal);
        }, cts.Token);
    }

    [SkippableFact]
    public async Task PythonStack_MakesAVenvAndInstallsIntoIt_AndPytestPassesAndFails()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await InSandboxAsync("python", async run =>
        {
            // A wheel made on the spot: pip installs it with no index, as it would one it downloaded.
            var venv = await run("""
                set -e
                python3 -m venv ~/venv
                cd ~ && python3 - <<'EOF'
                import base64, hashlib, zipfile
                files = {
                    "greet/__init__.py": "def hello(name):\n    return f'hello {name}'\n",
                    "greet-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: greet\nVersion: 1.0\n",
                    "greet-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
                }
                def digest(text):
                    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
                record = "".join(f"{name},{digest(text)},{len(text.encode())}\n" for name, text in files.items()) + "greet-1.0.dist-info/RECORD,,\n"
                with zipfile.ZipFile("greet-1.0-py3-none-any.whl", "w") as wheel:
                    for name, text in {**files, "greet-1.0.dist-info/RECORD": record}.items():
                        wheel.writestr(name, text)
                EOF
                ~/venv/bin/pip install --no-index ~/greet-1.0-py3-none-any.whl 2>&1
                cd / && ~/venv/bin/python -c 'import greet, sys; print(greet.hello("venv"), sys.prefix)'
                """);
            Assert.True(venv.Succeeded, venv.Stdout + venv.Stderr);
            Assert.Contains("Successfully installed greet-1.0", venv.Stdout, StringComparison.Ordinal);
            Assert.EndsWith("hello venv /home/claude/venv", venv.Stdout.Trim(), StringComparison.Ordinal);

            var passing = await run("""
                mkdir ~/tests && cd ~/tests
                printf 'def test_adds():\n    assert 1 + 2 == 3\n' > test_adds.py
                python3 -m pytest -q test_adds.py 2>&1
                """);
            Assert.True(passing.Succeeded, passing.Stdout + passing.Stderr);
            Assert.Contains("1 passed", passing.Stdout, StringComparison.Ordinal);

            var failing = await run("""
                cd ~/tests
                printf 'def test_subtracts():\n    assert 3 - 1 == 1\n' > test_subtracts.py
                python3 -m pytest -q test_subtracts.py 2>&1
                """);
            Assert.Equal(1, failing.ExitCode);
            Assert.Contains("1 failed", failing.Stdout, StringComparison.Ordinal);
            Assert.Contains("assert (3 - 1) == 1", failing.Stdout, StringComparison.Ordinal);
        }, cts.Token);
    }

    [SkippableFact]
    public async Task DotnetStack_CreatesBuildsAndRunsAConsoleApp_Offline()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await InSandboxAsync("dotnet", async run =>
        {
            var result = await run("""
                set -e
                dotnet new console -o ~/app 2>&1
                cd ~/app
                echo 'System.Console.WriteLine($"sum={2 + 3} on .NET {System.Environment.Version}");' > Program.cs
                dotnet build 2>&1
                ./bin/Debug/net*/app
                """);
            Assert.True(result.Succeeded, result.Stdout + result.Stderr);
            Assert.Contains("Build succeeded.", result.Stdout, StringComparison.Ordinal);
            Assert.Matches(@"sum=5 on \.NET \d+\.\d+\.\d+$", result.Stdout.Trim());
        }, cts.Token);
    }

    [SkippableFact]
    public async Task BrowserStack_HeadlessChromiumRendersAPage_WithNodeBeside()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var cts = new CancellationTokenSource(Timeout);
        await InSandboxAsync("browser", async run =>
        {
            var result = await run("""
                set -e
                printf '%s' '<html><body><p id="out">pending</p><script>document.getElementById("out").textContent = "sum=" + (2 + 3);</script></body></html>' > ~/page.html
                chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$HOME/page.html" 2>/dev/null
                echo "executable: $PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH $CHROME_BIN skip=$PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"
                node --version
                """);
            Assert.True(result.Succeeded, result.Stdout + result.Stderr);
            Assert.Contains("<p id=\"out\">sum=5</p>", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("executable: /usr/bin/chromium /usr/bin/chromium skip=1", result.Stdout, StringComparison.Ordinal);
            Assert.Matches(@"(?m)^v24\.", result.Stdout);
        }, cts.Token);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a sandbox of the stack's image (the dev agent's, under the default
    /// hardening), whose commands run through bash as the sandbox's user; the sandbox is removed afterwards.
    /// </summary>
    private async Task InSandboxAsync(string stack, Func<Func<string, Task<ExecResult>>, Task> body, CancellationToken cancellationToken)
    {
        var image = Stacks.Image(stack);
        try
        {
            await fixture.Docker.Images.InspectImageAsync(image, cancellationToken);
        }
        catch (DockerImageNotFoundException)
        {
            Assert.Fail($"{image} is missing; build it with '{Stacks.BuildCommand(image)}' (scripts/test builds every stack before the tests)");
        }

        var agent = fixture.Config.Find("dev")! with { Image = image, WarmSandboxes = 0, Container = ContainerSettings.Hardened };
        await using var sandboxes = new SandboxManager(fixture.Runtime, fixture.Config with { Agents = [agent] }, fixture.Gateway, NullLogger<SandboxManager>.Instance);
        var sandbox = await sandboxes.AcquireAsync(agent, Guid.NewGuid().ToString("N"), cancellationToken);
        try
        {
            var whoami = await fixture.Runtime.ExecAsync(sandbox.Id, ["id", "-un"], cancellationToken: cancellationToken);
            Assert.Equal("claude", whoami.Stdout.Trim());
            await body(script => fixture.Runtime.ExecAsync(sandbox.Id, ["bash", "-c", script], cancellationToken: cancellationToken));
        }
        finally
        {
            await sandboxes.ReleaseAsync(sandbox);
        }
    }
}
