using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class WorkLinksTests
{
    [Theory]
    [InlineData("https://forge.example", false, "https://forge.example/acme/web/issues/3")]
    [InlineData("https://forge.example/", true, "https://forge.example/acme/web/pulls/3")]
    [InlineData("http://forge.internal:3000/git/", false, "http://forge.internal:3000/git/acme/web/issues/3")]
    [InlineData("https://forge.example/?x=1#top", false, "https://forge.example/acme/web/issues/3")]
    public void Forge_HttpOrHttpsBase_BuildsTheIssueOrPullAddress(string forge, bool pull, string expected)
    {
        Assert.Equal(expected, WorkLinks.Forge(new Uri(forge), "acme/web", pull, 3));
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://forge.example/")]
    [InlineData("data:text/html,hi")]
    public void Forge_OtherScheme_IsRefused(string forge)
    {
        Assert.Null(WorkLinks.Forge(new Uri(forge), "acme/web", pull: false, 3));
    }

    [Fact]
    public void Forge_RelativeOrMissingBase_IsRefused()
    {
        Assert.Null(WorkLinks.Forge(new Uri("/acme", UriKind.Relative), "acme/web", pull: false, 3));
        Assert.Null(WorkLinks.Forge(null, "acme/web", pull: false, 3));
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("acme/web/extra")]
    [InlineData("/web")]
    public void Forge_NotOwnerSlashName_IsRefused(string repo)
    {
        Assert.Null(WorkLinks.Forge(new Uri("https://forge.example/"), repo, pull: false, 3));
    }

    [Fact]
    public void Forge_OddCharactersInTheName_AreEscaped()
    {
        Assert.Equal("https://forge.example/ac%20me/w%3Feb/issues/3", WorkLinks.Forge(new Uri("https://forge.example/"), "ac me/w?eb", pull: false, 3));
    }
}
