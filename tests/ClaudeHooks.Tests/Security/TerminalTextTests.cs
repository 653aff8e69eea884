using System.Text.Json;
using ClaudeHooks.Api;
using ClaudeHooks.Cli;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Security;

public sealed class TerminalTextTests
{
    private const string Hostile = "red \u001b[31mtext\u001b[0m, title \u001b]0;owned\u0007, csi \u009b2J, bell \u0007, cr \roverwrite, del \u007f, nul \0";

    [Fact]
    public void Neutralize_EscapeSequencesAndControls_MadeVisible()
    {
        var result = TerminalText.Neutralize(Hostile);

        Assert.DoesNotContain(result, c => c < ' ' || c is >= '\u007f' and <= '\u009f');
        Assert.Contains("\\x1B[31mtext", result);
        Assert.Contains("\\x9B2J", result);
        Assert.Contains("cr \\x0Doverwrite", result);
    }

    [Fact]
    public void Neutralize_TabNewlineAndUnicode_Kept()
    {
        const string text = "a\tb\nc — ü ✓";

        Assert.Same(text, TerminalText.Neutralize(text));
    }

    [Theory]
    [InlineData('\u061c')]
    [InlineData('\u200b')]
    [InlineData('\u200d')]
    [InlineData('\u200e')]
    [InlineData('\u200f')]
    [InlineData('\u202a')]
    [InlineData('\u202e')]
    [InlineData('\u2066')]
    [InlineData('\u2069')]
    [InlineData('\u2028')]
    [InlineData('\u2029')]
    [InlineData('\ufeff')]
    public void Neutralize_BidiAndInvisibleCharacters_MadeVisible(char c)
    {
        var result = TerminalText.Neutralize($"a{c}b");

        Assert.Equal($"a\\u{(int)c:X4}b", result);
    }

    [Fact]
    public void Neutralize_LoneSurrogates_MadeVisible_APairKept()
    {
        var result = TerminalText.Neutralize("high \ud800 low \udc00 end\ud83d pair \ud83d\ude00");

        Assert.Equal("high \\uD800 low \\uDC00 end\\uD83D pair \ud83d\ude00", result);
    }

    [Theory]
    [InlineData('\u200b')]
    [InlineData('\ufeff')]
    [InlineData('\u202e')]
    [InlineData('\ud800')]
    public void Outputs_OneUnsafeCharacter_EachEscapesIt(char c)
    {
        var text = $"x{c}y";

        Assert.True(TerminalText.IsUnsafe(c));
        Assert.DoesNotContain(c, TerminalText.Neutralize(text));
        Assert.DoesNotContain(c, TerminalText.SseData(text));
        Assert.DoesNotContain(c, CliJson.Inert(text));
        Assert.Equal("x?y", EgressCommand.Inert(text));
    }

    [Fact]
    public void SseData_ZeroWidthInAJsonString_StaysTheSameJson()
    {
        var json = "{\"text\":\"x\u200by\u202ez\"}";

        var result = TerminalText.SseData(json);

        Assert.Equal("{\"text\":\"x\\u200by\\u202ez\"}", result);
        Assert.Equal("x\u200by\u202ez", JsonDocument.Parse(result).RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void SseData_LineBreaksAndControls_OneInertLine()
    {
        var result = TerminalText.SseData("{\"a\":1}\r\ndata: forged\rid: 99\nevent: end" + Hostile);

        Assert.DoesNotContain('\n', result);
        Assert.DoesNotContain('\r', result);
        Assert.DoesNotContain(result, c => c < ' ' && c != '\t' || c is >= '\u007f' and <= '\u009f');
        Assert.StartsWith("{\"a\":1} data: forged id: 99 event: end", result);
    }

    [Fact]
    public void SseData_C1ControlInAJsonString_StaysTheSameJson()
    {
        var json = "{\"text\":\"x\u009by\"}";

        var result = TerminalText.SseData(json);

        Assert.Equal("{\"text\":\"x\\u009by\"}", result);
        Assert.Equal("x\u009by", JsonDocument.Parse(result).RootElement.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("assistant", "assistant")]
    [InlineData("runner/stderr", "runner/stderr")]
    [InlineData("x\nid: 9\r\ndata: y", "x_id:_9__data:_y")]
    [InlineData("", "unknown")]
    [InlineData("\u001b[2J", "__2J")]
    public void EventType_AnyText_APlainToken(string type, string expected)
    {
        Assert.Equal(expected, TerminalText.EventType(type));
    }

    [Fact]
    public void EventType_VeryLong_Cut()
    {
        Assert.Equal(100, TerminalText.EventType(new string('a', 5000)).Length);
    }

    [Fact]
    public void Frame_InjectedFieldsAndEscapes_ExactlyOneIdEventAndDataLine()
    {
        var stored = new StoredEvent("t", 7, DateTimeOffset.UtcNow, "assistant\r\nevent: end\nid: 99", "{\"a\":\"\u009b\"}\ndata: forged\r\rid: 100\n\nevent: end");

        var frame = TaskApi.Frame(stored, SecretRedactor.FormatsOnly);

        var lines = frame.Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal("id: 7", lines[0]);
        Assert.Equal("event: assistant__event:_end_id:_99", lines[1]);
        Assert.StartsWith("data: ", lines[2], StringComparison.Ordinal);
        Assert.Equal(["", ""], lines[3..]);
        Assert.DoesNotContain('\r', frame);
        Assert.DoesNotContain('\u009b', frame);
    }

    [Fact]
    public void Frame_TokenInData_Redacted()
    {
        var stored = new StoredEvent("t", 1, DateTimeOffset.UtcNow, "assistant", "{\"text\":\"glpat-abcdefghij0123456789\"}");

        Assert.Contains("[redacted: gitlab token format]", TaskApi.Frame(stored, SecretRedactor.FormatsOnly));
    }

    [Fact]
    public void Render_AssistantTextWithEscapes_PrintsNothingATerminalActsOn()
    {
        var data = JsonSerializer.Serialize(new { type = "assistant", message = new { content = new[] { new { type = "text", text = Hostile } } } });

        var rendered = EventRenderer.Render(new StoredEvent("t", 1, DateTimeOffset.UtcNow, "assistant", data));

        Assert.NotNull(rendered);
        Assert.Contains("\\x1B]0;owned\\x07", rendered);
        Assert.DoesNotContain(rendered, c => c < ' ' && c is not '\n' and not '\t' || c is >= '\u007f' and <= '\u009f');
    }

    [Fact]
    public void Render_NotJson_StillNeutralized()
    {
        var rendered = EventRenderer.Render(new StoredEvent("t", 1, DateTimeOffset.UtcNow, "runner/odd", "not json \u001b[2J"));

        Assert.NotNull(rendered);
        Assert.DoesNotContain('\u001b', rendered);
    }
}
