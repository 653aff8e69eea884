using ClaudeHooks.Containers;
using Docker.DotNet.Models;

namespace ClaudeHooks.Tests.Containers;

public sealed class BaseImageFactsTests
{
    [Fact]
    public void From_ImageAsBuilt_ReadsUserHealthcheckAndCliLabel()
    {
        var facts = BaseImageFacts.From(new ImageInspectResponse
        {
            Config = new DockerOCIImageConfig
            {
                User = "claude",
                Healthcheck = new HealthcheckConfig { Test = ["CMD", "/usr/local/bin/agent-health"] },
                Labels = new Dictionary<string, string> { [BaseImageFacts.ClaudeCodeVersionLabel] = "2.1.330" },
            },
        });

        Assert.Equal(new BaseImageFacts("claude", HasHealthcheck: true, ClaudeCodeVersion: "2.1.330"), facts);
        Assert.False(facts.RunsAsRoot);
    }

    [Fact]
    public void From_PlainImage_RunsAsRootWithoutHealthcheckOrLabel()
    {
        var facts = BaseImageFacts.From(new ImageInspectResponse { Config = new DockerOCIImageConfig() });

        Assert.Equal(new BaseImageFacts("", HasHealthcheck: false, ClaudeCodeVersion: null), facts);
        Assert.True(facts.RunsAsRoot);
        Assert.True(facts.Exists);
    }

    [Fact]
    public void From_HealthcheckNone_HasNoHealthcheck() =>
        Assert.False(BaseImageFacts.From(new ImageInspectResponse { Config = new DockerOCIImageConfig { Healthcheck = new HealthcheckConfig { Test = ["NONE"] } } }).HasHealthcheck);
}
