using ClaudeHooks.Containers;
using ClaudeHooks.Tests.Config;

namespace ClaudeHooks.Tests.Containers;

public sealed class DockerfileAuditorTests
{
    private const string Good = """
        FROM debian:bookworm-slim AS cli
        ARG CLAUDE_CODE_VERSION=2.1.330
        RUN echo fetch
        FROM debian:bookworm-slim
        ARG CLAUDE_CODE_VERSION=2.1.330
        USER claude
        HEALTHCHECK CMD ["true"]
        """;

    [Fact]
    public void Audit_RepositoryAgentDockerfile_Passes()
    {
        var path = ConfigLoaderTests.RepositoryFile("docker/agent/base/Dockerfile");

        Assert.Empty(DockerfileAuditor.Audit(File.ReadAllText(path)));
    }

    [Fact]
    public void Audit_MinimalGoodDockerfile_Passes() => Assert.Empty(DockerfileAuditor.Audit(Good));

    [Theory]
    [InlineData("USER claude", "USER root", "runs the agent as root")]
    [InlineData("USER claude", "USER 0:0", "runs the agent as root")]
    [InlineData("USER claude\n", "", "the final stage has no USER")]
    [InlineData("ARG CLAUDE_CODE_VERSION=2.1.330\nUSER", "ARG CLAUDE_CODE_VERSION=2.1.330\nENV FORGE_TOKEN=abc\nUSER", "ENV FORGE_TOKEN looks like a secret")]
    [InlineData("ARG CLAUDE_CODE_VERSION=2.1.330\nUSER", "ARG CLAUDE_CODE_VERSION=2.1.330\nARG GITHUB_API_KEY\nUSER", "ARG GITHUB_API_KEY looks like a secret")]
    [InlineData("ARG CLAUDE_CODE_VERSION=2.1.330\nUSER", "ARG CLAUDE_CODE_VERSION=2.1.330\nENV NOTE=sk-ant-oat01-abc\nUSER", "ENV NOTE holds a token-shaped value")]
    [InlineData("HEALTHCHECK CMD [\"true\"]", "", "no HEALTHCHECK")]
    public void Audit_Violation_IsReported(string replace, string with, string expected)
    {
        var findings = DockerfileAuditor.Audit(Good.Replace(replace, with, StringComparison.Ordinal));

        Assert.Contains(findings, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("2")]
    [InlineData("^2.1.0")]
    [InlineData("")]
    public void Audit_UnpinnedCliVersion_IsReported(string version)
    {
        var findings = DockerfileAuditor.Audit(Good.Replace("CLAUDE_CODE_VERSION=2.1.330", $"CLAUDE_CODE_VERSION={version}", StringComparison.Ordinal));

        Assert.Contains(findings, f => f.Contains("is not an exact version", StringComparison.Ordinal));
    }

    private const string Derived = """
        FROM claude-hooks/agent-base:latest
        USER root
        RUN apt-get install -y nodejs
        USER claude
        """;

    private static readonly BaseImageFacts AsBuilt = new("claude", HasHealthcheck: true, ClaudeCodeVersion: "2.1.330");

    /// <summary>An inspector that knows one image and records what it was asked.</summary>
    private static Func<string, BaseImageFacts?> Inspector(List<string> asked, BaseImageFacts? facts = null, string image = Stacks.BaseImage) => name =>
    {
        asked.Add(name);
        return name == image ? facts ?? AsBuilt : BaseImageFacts.Missing;
    };

    [Fact]
    public void Audit_DerivedImageOnABaseAsBuilt_PassesAndAsksAboutTheBase()
    {
        var asked = new List<string>();

        Assert.Empty(DockerfileAuditor.Audit(Derived, "Dockerfile", Inspector(asked)));
        Assert.Equal([Stacks.BaseImage], asked);
    }

    [Fact]
    public void Audit_DerivedImageWithoutInspection_StillNeedsItsOwnHealthcheckAndPin()
    {
        var findings = DockerfileAuditor.Audit(Derived);

        Assert.Contains(findings, f => f.Contains("no HEALTHCHECK", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Contains("no ARG CLAUDE_CODE_VERSION", StringComparison.Ordinal));
        Assert.Equal(findings, DockerfileAuditor.Audit(Derived, "Dockerfile", _ => null));
    }

    [Theory]
    [InlineData("FROM claude-hooks/agent-base\nUSER claude", "claude-hooks/agent-base:latest")]
    [InlineData("FROM --platform=linux/amd64 claude-hooks/agent-base:latest AS final\nUSER claude", "claude-hooks/agent-base:latest")]
    [InlineData("ARG BASE=claude-hooks/agent-base:latest\nFROM ${BASE}\nUSER claude", "claude-hooks/agent-base:latest")]
    [InlineData("ARG BASE=claude-hooks/agent-base\nFROM $BASE\nUSER claude", "claude-hooks/agent-base:latest")]
    [InlineData("ARG STACK=node\nFROM claude-hooks/agent-${STACK}:latest\nUSER claude", "claude-hooks/agent-node:latest")]
    [InlineData("FROM ${BASE:-claude-hooks/agent-base:latest}\nUSER claude", "claude-hooks/agent-base:latest")]
    [InlineData("ARG BASE=\"claude-hooks/agent-base:latest\"\nFROM ${BASE}\nUSER claude", "claude-hooks/agent-base:latest")]
    [InlineData("FROM localhost:5000/tools\nUSER claude", "localhost:5000/tools:latest")]
    [InlineData("FROM debian@sha256:abc\nUSER claude", "debian@sha256:abc")]
    public void BaseImage_ResolvesArgsAndNormalisesTheTag(string dockerfile, string expected)
    {
        var asked = new List<string>();

        Assert.Equal(expected, DockerfileAuditor.BaseImage(dockerfile));
        Assert.Empty(DockerfileAuditor.Audit(dockerfile, "Dockerfile", Inspector(asked, image: expected)));
        Assert.Equal([expected], asked);
    }

    [Fact]
    public void Audit_BuildArgs_ReplaceTheArgDefaults()
    {
        const string dockerfile = "ARG BASE_IMAGE=claude-hooks/agent-base:latest\nFROM ${BASE_IMAGE}\nARG CLAUDE_CODE_VERSION=2.1.330\nUSER claude";
        var asked = new List<string>();
        var args = new Dictionary<string, string> { ["BASE_IMAGE"] = "claude-hooks/agent-node:latest", ["CLAUDE_CODE_VERSION"] = "latest" };

        var findings = DockerfileAuditor.Audit(dockerfile, "Dockerfile", Inspector(asked, image: "claude-hooks/agent-node:latest"), args);

        Assert.Equal("claude-hooks/agent-node:latest", DockerfileAuditor.BaseImage(dockerfile, args));
        Assert.Equal(["claude-hooks/agent-node:latest"], asked);
        Assert.Equal(["Dockerfile: CLAUDE_CODE_VERSION \"latest\" is not an exact version; pin one such as 2.1.330"], findings);
    }

    [Fact]
    public void Audit_FromAnArgWithoutDefault_CannotInspectAndNeedsEverythingItself()
    {
        var asked = new List<string>();
        var findings = DockerfileAuditor.Audit("ARG BASE\nFROM ${BASE}\nUSER claude", "Dockerfile", Inspector(asked));

        Assert.Null(DockerfileAuditor.BaseImage("ARG BASE\nFROM ${BASE}"));
        Assert.Empty(asked);
        Assert.Contains(findings, f => f.Contains("the final stage has no HEALTHCHECK;", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("root")]
    [InlineData("0")]
    [InlineData("0:0")]
    [InlineData("root:claude")]
    public void Audit_DerivedImageWithoutUser_OnABaseThatRunsAsRoot_NamesTheBase(string baseUser)
    {
        var findings = DockerfileAuditor.Audit("FROM claude-hooks/agent-base:latest\nRUN true", "Dockerfile", Inspector([], AsBuilt with { User = baseUser }));

        var finding = Assert.Single(findings);
        Assert.Contains("the final stage has no USER and its base claude-hooks/agent-base:latest runs as root; add 'USER claude'", finding, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_DerivedImageWithoutUser_OnANonRootBase_Passes() =>
        Assert.Empty(DockerfileAuditor.Audit("FROM claude-hooks/agent-base:latest\nRUN true", "Dockerfile", Inspector([], AsBuilt with { User = "1000:1000" })));

    [Fact]
    public void Audit_DerivedImageEndingAsRoot_IsReportedWhateverTheBase()
    {
        var findings = DockerfileAuditor.Audit("FROM claude-hooks/agent-base:latest\nUSER claude\nRUN true\nUSER root", "Dockerfile", Inspector([]));

        Assert.Equal(["Dockerfile:4: USER root runs the agent as root; use 'USER claude'"], findings);
    }

    [Fact]
    public void Audit_DerivedImage_OnABaseWithoutHealthcheck_NamesTheBase()
    {
        var findings = DockerfileAuditor.Audit(Derived, "Dockerfile", Inspector([], AsBuilt with { HasHealthcheck = false }));

        Assert.Equal(["Dockerfile: the final stage has no HEALTHCHECK and its base claude-hooks/agent-base:latest has none; add one so 'containers status' can report health"], findings);
    }

    [Fact]
    public void Audit_DerivedImageWithItsOwnHealthcheck_OnABaseWithoutOne_Passes() =>
        Assert.Empty(DockerfileAuditor.Audit(Derived + "\nHEALTHCHECK CMD [\"true\"]", "Dockerfile", Inspector([], AsBuilt with { HasHealthcheck = false })));

    [Fact]
    public void Audit_HealthcheckNone_IsReported()
    {
        var findings = DockerfileAuditor.Audit(Derived + "\nHEALTHCHECK NONE", "Dockerfile", Inspector([]));

        Assert.Contains(findings, f => f.Contains("Dockerfile:5: HEALTHCHECK NONE turns the health probe off", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, "carries no org.claude-hooks.claude-code-version label")]
    [InlineData("latest", "carries an unpinned (\"latest\") org.claude-hooks.claude-code-version label")]
    [InlineData("^2.1.0", "carries an unpinned (\"^2.1.0\")")]
    public void Audit_DerivedImage_OnABaseWithoutAPinnedCli_NamesTheBaseAndTheFix(string? label, string expected)
    {
        var findings = DockerfileAuditor.Audit(Derived, "Dockerfile", Inspector([], AsBuilt with { ClaudeCodeVersion = label }));

        var finding = Assert.Single(findings);
        Assert.Contains($"no ARG CLAUDE_CODE_VERSION and its base claude-hooks/agent-base:latest {expected}", finding, StringComparison.Ordinal);
        Assert.Contains("'claude-hooks images build'", finding, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_DerivedImageWithAnUnpinnedArg_IsReportedEvenOnAPinnedBase()
    {
        var findings = DockerfileAuditor.Audit("FROM claude-hooks/agent-base:latest\nARG CLAUDE_CODE_VERSION=latest\nUSER claude", "Dockerfile", Inspector([]));

        Assert.Contains(findings, f => f.Contains("is not an exact version", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("claude-hooks/agent-base:latest", "build it first with 'claude-hooks images build'")]
    [InlineData("claude-hooks/agent-node:latest", "build it first with 'claude-hooks images build --stack node'")]
    [InlineData("claude-hooks/custom-web:latest", "build it first with 'claude-hooks images create web --from STACK")]
    [InlineData("example.org/tools:1", "build it first with 'docker build -t example.org/tools:1")]
    public void Audit_MissingBaseImage_NamesTheCommandThatBuildsIt(string image, string expected)
    {
        var findings = DockerfileAuditor.Audit($"FROM {image}\nUSER claude", "Dockerfile", _ => BaseImageFacts.Missing);

        var finding = Assert.Single(findings);
        Assert.StartsWith($"Dockerfile:1: base image {image} does not exist;", finding, StringComparison.Ordinal);
        Assert.Contains(expected, finding, StringComparison.Ordinal);
    }

    [Fact]
    public void Audit_FinalStageFromAnEarlierStage_FollowsTheChainToTheImage()
    {
        const string dockerfile = """
            FROM claude-hooks/agent-base:latest AS tools
            USER root
            RUN apt-get install -y jq
            FROM tools AS more
            RUN apt-get install -y nodejs
            USER claude
            FROM more
            RUN true
            """;
        var asked = new List<string>();

        Assert.Empty(DockerfileAuditor.Audit(dockerfile, "Dockerfile", Inspector(asked)));
        Assert.Equal([Stacks.BaseImage], asked);
    }

    [Fact]
    public void Audit_FinalStageFromAStageThatEndsAsRoot_IsReportedAtThatLine()
    {
        const string dockerfile = """
            FROM claude-hooks/agent-base:latest AS tools
            USER root
            RUN apt-get install -y jq
            FROM tools
            RUN true
            """;

        Assert.Equal(["Dockerfile:2: USER root runs the agent as root; use 'USER claude'"], DockerfileAuditor.Audit(dockerfile, "Dockerfile", Inspector([])));
    }

    [Fact]
    public void Audit_FinalStageFromAStageOfTheFile_InheritsItsFactsWithoutInspection()
    {
        const string dockerfile = """
            FROM debian:bookworm-slim AS runtime
            ARG CLAUDE_CODE_VERSION=2.1.330
            USER claude
            HEALTHCHECK CMD ["true"]
            FROM Runtime
            RUN true
            """;

        Assert.Empty(DockerfileAuditor.Audit(dockerfile));
    }

    [Fact]
    public void Audit_AnEarlierStageOnAnotherImage_IsNotTheBase()
    {
        const string dockerfile = """
            FROM debian:bookworm-slim AS fetch
            RUN echo fetch
            FROM claude-hooks/agent-base:latest
            COPY --from=fetch /tmp/x /tmp/x
            """;
        var asked = new List<string>();

        Assert.Empty(DockerfileAuditor.Audit(dockerfile, "Dockerfile", Inspector(asked)));
        Assert.Equal([Stacks.BaseImage], asked);
    }

    [Fact]
    public void Audit_FromScratch_RunsAsRootWithoutAsking()
    {
        var asked = new List<string>();
        var findings = DockerfileAuditor.Audit("FROM scratch\nCOPY x /x", "Dockerfile", Inspector(asked));

        Assert.Empty(asked);
        Assert.Contains(findings, f => f.Contains("its base scratch runs as root", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Contains("its base scratch has none", StringComparison.Ordinal));
    }

    [Fact]
    public void Audit_RepositoryAgentDockerfile_OnPlainDebian_Passes()
    {
        var path = ConfigLoaderTests.RepositoryFile("docker/agent/base/Dockerfile");
        var debian = new BaseImageFacts("", HasHealthcheck: false, ClaudeCodeVersion: null);

        Assert.Empty(DockerfileAuditor.Audit(File.ReadAllText(path), path, Inspector([], debian, "debian:bookworm-slim")));
    }

    [Fact]
    public void Instructions_JoinsContinuationsAndSkipsComments()
    {
        var instructions = DockerfileAuditor.Instructions("# c\nRUN a \\\n  # note\n  && b\nUSER x").ToList();

        Assert.Equal(2, instructions.Count);
        Assert.Equal("RUN", instructions[0].Keyword);
        Assert.Contains("&& b", instructions[0].Arguments, StringComparison.Ordinal);
        Assert.Equal(5, instructions[1].Line);
    }

    [Theory]
    [InlineData("FROM claude-hooks/agent-base:latest\nUSER root\nRUN true \\\n\nUSER claude\n", "USER root")]
    [InlineData("FROM claude-hooks/agent-base:latest\nUSER root\nRUN true \\\n   \t\nUSER claude\n", "USER root")]
    [InlineData("# escape=`\nFROM claude-hooks/agent-base:latest\nUSER root\nRUN echo `\nUSER claude\n", "USER root")]
    [InlineData("FROM claude-hooks/agent-base:latest\nUSER 00\n", "USER 00 runs the agent as root")]
    [InlineData("FROM claude-hooks/agent-base:latest\nUSER 000:0\n", "USER 000:0 runs the agent as root")]
    [InlineData("FROM claude-hooks/agent-base:latest\nARG U=root\nUSER ${U}\n", "USER ${U} is not a literal user")]
    public void Audit_ReadsAsTheBuilderReads_SoAFinalUserHiddenInAContinuationOrSpelledOtherwiseIsFound(string dockerfile, string expected)
    {
        var findings = DockerfileAuditor.Audit(dockerfile, "Dockerfile", Inspector([]));

        Assert.Contains(findings, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Audit_EscapeDirective_ABackslashAtALineEndDoesNotContinue()
    {
        Assert.Empty(DockerfileAuditor.Audit("# escape=`\nFROM claude-hooks/agent-base:latest\nRUN echo c:\\\nUSER claude\n", "Dockerfile", Inspector([])));
        Assert.True(BaseImageFacts.IsRoot("00:1000"));
        Assert.False(BaseImageFacts.IsRoot("1000"));
    }
}
