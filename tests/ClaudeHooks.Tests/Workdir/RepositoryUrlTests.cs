using ClaudeHooks.Workdir;

namespace ClaudeHooks.Tests.Workdir;

public sealed class RepositoryUrlTests
{
    [Theory]
    [InlineData("https://forge.example/acme/widgets.git", "forge.example/acme/widgets")]
    [InlineData("https://Forge.Example/acme/widgets", "forge.example/acme/widgets")]
    [InlineData("http://10.0.0.5:3000/acme/widgets.git", "10.0.0.5_3000/acme/widgets")]
    [InlineData("https://gitlab.example/group/sub/widgets.git", "gitlab.example/group/sub/widgets")]
    public void Parse_RemoteForms_GiveCacheAndWorktreeLayout(string url, string key)
    {
        var repository = RepositoryUrl.Parse(url, allowLocal: false);

        Assert.Equal(key, repository.Key);
        Assert.Equal($"/work/{key}/issue-42", repository.CheckoutPath("issue-42"));
    }

    [Theory]
    [InlineData("https://forge.example/acme/widgets.git", "forge.example")]
    [InlineData("http://10.0.0.5:3000/acme/widgets.git", "10.0.0.5:3000")]
    [InlineData("https://bot@forge.example:8443/acme/widgets", "forge.example:8443")]
    public void CredentialHost_IsWhatGitAsksTheHelperFor(string url, string? host) => Assert.Equal(host, RepositoryUrl.Parse(url, allowLocal: false).CredentialHost);

    [Theory]
    [InlineData("file:///srv/git/acme/widgets.git", "local/srv/git/acme/widgets")]
    [InlineData("/srv/git/widgets", "local/srv/git/widgets")]
    public void Parse_LocalForms_WhenAllowed(string url, string key) => Assert.Equal(key, RepositoryUrl.Parse(url, allowLocal: true).Key);

    [Theory]
    [InlineData("--upload-pack=touch /tmp/x", "starts with '-'")]
    [InlineData("-oProxyCommand=x", "starts with '-'")]
    [InlineData("https://forge.example/../../etc/passwd", "not allowed")]
    [InlineData("https://forge.example/acme/%2e%2e/x", "not allowed")]
    [InlineData("https://forge.example/acme/-x", "not allowed")]
    [InlineData("file:///srv/git/x.git", "set workdir.allow_local_repos")]
    [InlineData("/srv/git/x", "set workdir.allow_local_repos")]
    [InlineData("ftp://forge.example/a/b", "use https://")]
    [InlineData("ssh://git@forge.example:2222/acme/widgets.git", "ssh remotes are not reachable")]
    [InlineData("git@forge.example:acme/widgets.git", "use the repository's https URL")]
    [InlineData("ext::sh -c touch% /tmp/pwned", "spaces")]
    [InlineData("https://user:secret@forge.example/a/b.git", "carries a password")]
    [InlineData("https://forge.example/a/b.git?x=1", "query")]
    [InlineData("https://forge.example/onlyone", "owner and a repository")]
    [InlineData("", "give a repository URL")]
    public void Parse_Dangerous_IsRefusedWithTheReason(string url, string why)
    {
        var error = Assert.Throws<InvalidRepositoryException>(() => RepositoryUrl.Parse(url, allowLocal: false));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TraversalInLocalPath_IsRefusedEvenWhenAllowed() =>
        Assert.Throws<InvalidRepositoryException>(() => RepositoryUrl.Parse("/srv/git/../../etc", allowLocal: true));
}
