using ClaudeHooks.Workdir;

namespace ClaudeHooks.Tests.Workdir;

public sealed class GitNamesTests
{
    [Theory]
    [InlineData("main")]
    [InlineData("release/1.2")]
    [InlineData("v1.0.0")]
    [InlineData("0123abcd")]
    public void Ref_Valid_IsAccepted(string reference) => Assert.Equal(reference, GitNames.Ref(reference));

    [Theory]
    [InlineData("--upload-pack=x")]
    [InlineData("-b")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("x.lock")]
    [InlineData("/abs")]
    [InlineData("a/.hidden")]
    [InlineData("HEAD@{1}")]
    [InlineData("")]
    public void Ref_Invalid_IsRefused(string reference) => Assert.Throws<InvalidRepositoryException>(() => GitNames.Ref(reference));

    [Fact]
    public void Branch_IsAgentSlashThread() => Assert.Equal("dev/issue-42", GitNames.Branch("dev", "issue-42"));

    [Theory]
    [InlineData("Issue-42")]
    [InlineData("../x")]
    [InlineData("-rf")]
    [InlineData("a/b")]
    public void Thread_Invalid_IsRefused(string thread) => Assert.Throws<InvalidRepositoryException>(() => GitNames.Thread(thread));
}
