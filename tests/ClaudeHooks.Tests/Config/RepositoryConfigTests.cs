using System.Text;
using ClaudeHooks.Agents;
using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Workdir;

namespace ClaudeHooks.Tests.Config;

/// <summary>The repositories section, the image chain each task's image comes from, and what a task request may choose.</summary>
public sealed class RepositoryConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private readonly TempDirectory _home = new();
    private readonly ClaudeHooksPaths _paths;

    public RepositoryConfigTests()
    {
        _paths = new ClaudeHooksPaths(_home.Path);
    }

    public void Dispose() => _home.Dispose();

    private const string Agents = """
        "agents": {
            "dev": { "role": "dev", "forge_user": "dev-bot", "runner": { "timeout": "30m", "max_turns": 50 }, "container": { "memory": "2g", "pids": 256 } },
            "reviewer": { "role": "reviewer", "forge_user": "rev-bot", "image": "python" }
        }
        """;

    private const string Forge = """
        "forge": { "public_url": "http://127.0.0.1:8080", "repositories": {
            "acme/web": { "url": "https://git.example", "webhook_secret_file": "s", "flows": ["implement", "review", "fix"] } } }
        """;

    private AgentsConfig Parse(string sections) => ConfigLoader.Parse(File, $"{{ {Agents}, {Forge}{(sections.Length > 0 ? ", " + sections : "")} }}", _paths);

    private string Problem(string sections) => string.Join("\n", Assert.Throws<ConfigException>(() => Parse(sections)).Errors);

    [Fact]
    public void Parse_ForgeKeyAndPattern_MatchTheirRepositories()
    {
        var config = Parse("""
            "repositories": {
                "https://git.example/tools/*": { "image": "claude-hooks/custom-tools:latest", "agents": ["dev"] },
                "acme/web": { "stack": "node", "setup": "npm ci", "egress_allow": ["registry.npmjs.org"], "prompt": "Run npm test before you commit." }
            }
            """);

        var web = config.RepositoryFor(RepositoryUrl.Parse("https://git.example/acme/web.git", false));
        Assert.Equal("acme/web", web?.Key);
        Assert.Equal("claude-hooks/agent-node:latest", web!.RequestedImage);
        Assert.Equal("npm ci", web.Setup);
        Assert.Equal("registry.npmjs.org", Assert.Single(web.EgressAllow).Text);

        var tools = config.RepositoryFor(RepositoryUrl.Parse("https://git.example/tools/lint", false));
        Assert.Equal("https://git.example/tools/*", tools?.Key);
        Assert.Null(config.RepositoryFor(RepositoryUrl.Parse("https://git.example/tools/lint/deeper", false)));
        Assert.Null(config.RepositoryFor(RepositoryUrl.Parse("https://other.example/tools/lint", false)));

        // The forge flows hand a repository's work only to agents it allows.
        Assert.Equal("dev", config.ByRole(AgentRole.Dev, "acme/web")?.Name);
    }

    [Fact]
    public void Parse_UrlInOtherCase_MatchesTheSameEntries()
    {
        var config = Parse("""
            "repositories": { "https://git.example/tools/*": { "agents": ["reviewer"] }, "acme/web": { "stack": "node" } }
            """);

        Assert.Equal("https://git.example/tools/*", config.RepositoryFor(RepositoryUrl.Parse("https://GIT.example/TOOLS/Lint.git", false))?.Key);
        Assert.Equal("acme/web", config.RepositoryFor(RepositoryUrl.Parse("https://git.example/ACME/Web.git", false))?.Key);
    }

    [Fact]
    public void Parse_RepositoryRuntimeReplacingAnAgentsOwn_IsRefused()
    {
        var problem = string.Join("\n", Assert.Throws<ConfigException>(() => ConfigLoader.Parse(File, $$"""
            { "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "runtime": "runsc" } } },
              "repositories": { "https://git.example/a/*": { "container": { "runtime": "runc" } } } }
            """, _paths)).Errors);

        Assert.Contains("repositories.https://git.example/a/*.container.runtime: \"runc\" would replace agent dev's runtime \"runsc\"", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PatternWithPortAndDefaultPort_MatchesAsRepositoryUrlSpellsIt()
    {
        var config = Parse("""
            "repositories": { "http://127.0.0.1:3000/it-*/app-?": { "stack": "python" }, "https://git.example:443/x/y": { "stack": "dotnet" } }
            """.Replace("?", "*", StringComparison.Ordinal));

        Assert.Equal("python", config.RepositoryFor(RepositoryUrl.Parse("http://127.0.0.1:3000/it-owner/app-1.git", false))?.Stack);
        Assert.Null(config.RepositoryFor(RepositoryUrl.Parse("http://127.0.0.1:3001/it-owner/app-1.git", false)));
        Assert.Equal("dotnet", config.RepositoryFor(RepositoryUrl.Parse("https://git.example/x/y", false))?.Stack);
    }

    [Theory]
    [InlineData(""" "repositories": { "acme/api": { "stack": "node" } } """, "repositories.acme/api: matches no repository in forge.repositories (acme/web); add it there, or use a URL pattern")]
    [InlineData(""" "repositories": { "acme": { "stack": "node" } } """, "repositories.acme: is neither owner/name")]
    [InlineData(""" "repositories": { "https://git.example": { "stack": "node" } } """, "repositories.https://git.example: is not a repository URL pattern")]
    [InlineData(""" "repositories": { "/srv/git/*": { "stack": "node" } } """, "matches only local paths, which no task may use (workdir.allow_local_repos is off)")]
    [InlineData(""" "repositories": { "acme/web": { "stack": "ruby" } } """, "repositories.acme/web.stack: \"ruby\" is not a stack; use one of base, node, python, dotnet, browser")]
    [InlineData(""" "repositories": { "acme/web": { "stack": "node", "image": "x/y:1" } } """, "repositories.acme/web.stack: is set together with image")]
    [InlineData(""" "repositories": { "acme/web": { "image": "Not An Image" } } """, "repositories.acme/web.image: \"Not An Image\" is not an image reference")]
    [InlineData(""" "repositories": { "acme/web": { "egress_allow": ["https://registry.npmjs.org/"] } } """, "repositories.acme/web.egress_allow:")]
    [InlineData(""" "repositories": { "acme/web": { "agents": ["devv"] } } """, "repositories.acme/web.agents: \"devv\" is not an agent; configured agents: dev, reviewer")]
    [InlineData(""" "repositories": { "acme/web": { "agents": [] } } """, "repositories.acme/web.agents: is empty")]
    [InlineData(""" "repositories": { "acme/web": { "runner": { "timeout": "2h" } } } """, "repositories.acme/web.runner.timeout: 2h is above agent dev's runner.timeout 30m; a repository can only tighten")]
    [InlineData(""" "repositories": { "acme/web": { "runner": { "max_turns": 80 } } } """, "repositories.acme/web.runner.max_turns: 80 is above agent dev's runner.max_turns 50")]
    [InlineData(""" "repositories": { "acme/web": { "container": { "memory": "8g" } } } """, "repositories.acme/web.container.memory: 8g is above agent dev's container.memory 2g")]
    [InlineData(""" "repositories": { "acme/web": { "container": { "runtime": "local" } } } """, "repositories.acme/web.container.runtime: \"local\" is an agent's choice")]
    [InlineData(""" "repositories": { "acme/web": { "container": { "docker_socket": true } } } """, "repositories.acme/web.container.docker_socket: is refused: the host's Docker socket in a sandbox is root on the host")]
    [InlineData(""" "repositories": { "acme/web": { "setup": "npm ci\nrm -rf /" } } """, "repositories.acme/web.setup: must be one line")]
    [InlineData(""" "repositories": { "acme/web": { "prompt_file": "nowhere.md" } } """, "repositories.acme/web.prompt_file: /etc/claude-hooks/nowhere.md does not exist")]
    [InlineData(""" "repositories": { "acme/web": { "colour": "red" } } """, "repositories.acme/web.colour: unknown key")]
    [InlineData(""" "images": { "selectable": ["ruby!"] } """, "images.selectable: \"ruby!\" is neither a stack")]
    [InlineData(""" "repositories": { "acme/web": { "setup": "npm ci", "setup_timeout": "45m" } } """, "repositories.acme/web.setup_timeout: 45m is above the 30m a task of agent dev may run")]
    [InlineData(""" "repositories": { "acme/web": { "setup_timeout": "99999999999d" } } """, "repositories.acme/web.setup_timeout: the string \"99999999999d\" is not a duration")]
    public void Parse_BadRepositoryConfig_NamesTheKeyAndTheFix(string sections, string expected)
    {
        Assert.Contains(expected, Problem(sections), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("docker_socket")]
    [InlineData("docker_access")]
    public void Parse_DockerSocketForAnAgent_IsRefusedWithWhyAndTheRuntimeOption(string key)
    {
        var problem = string.Join("\n", Assert.Throws<ConfigException>(() => ConfigLoader.Parse(File,
            $$"""{ "agents": { "dev": { "role": "dev", "forge_user": "d", "container": { "{{key}}": "socket" } } } }""", _paths)).Errors);

        Assert.Contains($"agents.dev.container.{key}: is refused: the host's Docker socket in a sandbox is root on the host", problem, StringComparison.Ordinal);
        Assert.Contains("set container.runtime to a runtime the engine offers, such as \"sysbox-runc\" or gVisor's \"runsc\"", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_EveryLevel_DecidesInOrder()
    {
        var config = Parse("""
            "images": { "default": "claude-hooks/custom-default:latest", "selectable": ["browser", "claude-hooks/custom-pick:latest"] },
            "repositories": { "acme/web": { "stack": "node", "runner": { "max_turns": 10, "timeout": "20m" }, "container": { "runtime": "runsc", "pids": 128 } } }
            """);
        var dev = config.Find("dev")!;
        var web = RepositoryUrl.Parse("https://git.example/acme/web.git", false);
        var other = RepositoryUrl.Parse("https://git.example/acme/other.git", false);

        var requested = TaskProfile.Resolve(config, dev, web, "browser");
        Assert.Equal(("task request", "claude-hooks/agent-browser:latest"), (requested.ChosenBy.Level, requested.Image));

        var repository = TaskProfile.Resolve(config, dev, web, null);
        Assert.Equal(("repository", "claude-hooks/agent-node:latest"), (repository.ChosenBy.Level, repository.Image));
        Assert.Equal("repositories.acme/web.stack", repository.ChosenBy.Source);
        Assert.Equal(10, repository.Runner.MaxTurns);
        Assert.Equal(TimeSpan.FromMinutes(20), repository.Runner.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(10), repository.Runner.IdleTimeout);
        Assert.Equal(("runsc", 128L, 2L << 30), (repository.Container.Runtime, repository.Container.PidsLimit, repository.Container.MemoryBytes));
        Assert.False(repository.IsAgentDefault);

        var reviewer = TaskProfile.Resolve(config, config.Find("reviewer")!, other, null);
        Assert.Equal(("agent", "claude-hooks/agent-python:latest"), (reviewer.ChosenBy.Level, reviewer.Image));

        var byDefault = TaskProfile.Resolve(config, dev, other, null);
        Assert.Equal(("images.default", "claude-hooks/custom-default:latest"), (byDefault.ChosenBy.Level, byDefault.Image));
        Assert.True(byDefault.IsAgentDefault);

        var builtIn = TaskProfile.Resolve(Parse(""), Parse("").Find("dev")!, other, null);
        Assert.Equal(("built-in", "claude-hooks/agent-base:latest"), (builtIn.ChosenBy.Level, builtIn.Image));
        Assert.Equal(["task request", "repository", "agent", "images.default", "built-in"], builtIn.Levels.Select(l => l.Level));
    }

    [Fact]
    public void Resolve_RequestNotSelectableOrAgentNotAllowed_IsRefusedWithTheKey()
    {
        var config = Parse("""
            "images": { "selectable": ["node"] },
            "repositories": { "acme/web": { "agents": ["reviewer"] } }
            """);
        var web = RepositoryUrl.Parse("https://git.example/acme/web.git", false);

        var notSelectable = Assert.Throws<TaskProfileException>(() => TaskProfile.Resolve(config, config.Find("reviewer")!, web, "claude-hooks/custom-x:latest"));
        Assert.Contains("\"claude-hooks/custom-x:latest\" is not selectable; use one of claude-hooks/agent-node:latest (images.selectable)", notSelectable.Message, StringComparison.Ordinal);

        var notAllowed = Assert.Throws<TaskProfileException>(() => TaskProfile.Resolve(config, config.Find("dev")!, web, null));
        Assert.Contains("agent dev may not work on https://git.example/acme/web.git (repositories.acme/web.agents lists reviewer)", notAllowed.Message, StringComparison.Ordinal);
        Assert.Equal("reviewer", config.ByRole(AgentRole.Reviewer, "acme/web")?.Name);
        Assert.Null(config.ByRole(AgentRole.Dev, "acme/web"));
    }

    [Fact]
    public void Submission_Image_OnlyAmongSelectable()
    {
        var config = Parse("""
            "images": { "selectable": ["python"] },
            "repositories": { "acme/web": { "agents": ["reviewer"] } }
            """);

        var (ok, _, _) = TaskSubmission.Parse(Body("""{"agent":"dev","repo":"https://git.example/acme/api.git","prompt":"p","image":"python"}"""), config);
        Assert.Equal("claude-hooks/agent-python:latest", ok?.Image);

        var (_, status, errors) = TaskSubmission.Parse(Body("""{"agent":"dev","repo":"https://git.example/acme/api.git","prompt":"p","image":"debian:bookworm"}"""), config);
        Assert.Equal(400, status);
        Assert.Contains("\"debian:bookworm\" is not selectable; use one of claude-hooks/agent-python:latest (images.selectable)", errors["image"], StringComparison.Ordinal);

        var (_, _, refused) = TaskSubmission.Parse(Body("""{"agent":"dev","repo":"https://git.example/acme/web.git","prompt":"p"}"""), config);
        Assert.Contains("agent dev may not work on this repository (repositories.acme/web.agents lists reviewer)", refused["agent"], StringComparison.Ordinal);

        var none = ConfigLoader.Parse(File, $"{{ {Agents} }}", _paths);
        var (_, _, noSelectable) = TaskSubmission.Parse(Body("""{"agent":"dev","repo":"https://git.example/acme/api.git","prompt":"p","image":"python"}"""), none);
        Assert.Contains("no image may be chosen per task (images.selectable is empty)", noSelectable["image"], StringComparison.Ordinal);
    }

    [Fact]
    public void RepositoryLimits_ApplyOnlyDownward()
    {
        var agent = new RunnerSettings(TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(10), 50, 5m, "bypassPermissions", [], [], null, "p.md");

        var tighter = new RepositoryRunnerLimits(TimeSpan.FromMinutes(5), null, 80, 1m).Apply(agent);

        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), 50, 1m), (tighter.Timeout, tighter.IdleTimeout, tighter.MaxTurns, tighter.MaxBudgetUsd));
        var container = new RepositoryContainerLimits("runsc", 1L << 30, 8, null).Apply(ContainerSettings.Hardened);
        Assert.Equal(("runsc", 1L << 30, 1L << 30, 2.0, 512L), (container.Runtime, container.MemoryBytes, container.MemorySwapBytes, container.Cpus, container.PidsLimit));
    }

    private static byte[] Body(string json) => Encoding.UTF8.GetBytes(json);
}
