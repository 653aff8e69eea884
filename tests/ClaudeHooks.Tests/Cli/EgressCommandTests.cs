using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

public sealed class EgressCommandTests
{
    [Theory]
    [InlineData("/v1/messages", "/v1/messages")]
    [InlineData("evil\u001b[2J\u001b]0;title\u0007.example", "evil?[2J?]0;title?.example")]
    [InlineData("line\r\nbreak\ttab", "line??break?tab")]
    [InlineData("c1\u009b31m del\u007f", "c1?31m del?")]
    [InlineData("bidi\u202eexe.txt\u2066", "bidi?exe.txt?")]
    [InlineData("ünïcödé 名前", "ünïcödé 名前")]
    public void Inert_ControlCharacters_BecomeQuestionMarks(string text, string shown)
    {
        Assert.Equal(shown, EgressCommand.Inert(text));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(1023, "1023")]
    [InlineData(1536, "1.5k")]
    [InlineData(5L * 1024 * 1024, "5M")]
    [InlineData(3L * 1024 * 1024 * 1024, "3G")]
    public void Size_IsShort(long bytes, string shown)
    {
        Assert.Equal(shown, EgressCommand.Size(bytes));
    }

    [Theory]
    [InlineData("egress log")]
    [InlineData("egress log --task t1 --agent dev --denied --since 15m --limit 10 -f --json")]
    [InlineData("egress log --after 42 --follow --url http://127.0.0.1:9")]
    public void Parse_LogOptions_Accepted(string line)
    {
        Assert.Empty(CliApp.Build().Parse(line).Errors);
    }

    [Fact]
    public void Parse_LimitNotANumber_IsAnError()
    {
        Assert.NotEmpty(CliApp.Build().Parse("egress log --limit many").Errors);
    }
}
