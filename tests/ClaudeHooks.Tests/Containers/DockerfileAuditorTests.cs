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

    [Fact]
    public void Instructions_JoinsContinuationsAndSkipsComments()
    {
        var instructions = DockerfileAuditor.Instructions("# c\nRUN a \\\n  # note\n  && b\nUSER x").ToList();

        Assert.Equal(2, instructions.Count);
        Assert.Equal("RUN", instructions[0].Keyword);
        Assert.Contains("&& b", instructions[0].Arguments, StringComparison.Ordinal);
        Assert.Equal(5, instructions[1].Line);
    }
}
