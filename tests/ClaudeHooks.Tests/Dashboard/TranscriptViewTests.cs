using System.Text.Json;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class TranscriptViewTests : IDisposable
{
    private const string ForgeToken = "3f9a1c0d7e5b42a8961f0c3d2b7e8a4f5c6d1e2f";
    private const string ForgeMarker = "[redacted: dev forge token]";
    private static readonly DateTimeOffset At = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _home = new();
    private readonly SecretRedactor _redactor;

    public TranscriptViewTests()
    {
        var token = _home.Write("tokens/dev", ForgeToken + "\n");
        _redactor = new SecretRedactor(new SecretCatalog(() => [new SecretSource("dev forge token", token, SecretFileFormat.Text)]) { RecheckInterval = TimeSpan.Zero });
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Entries_AssistantTextAndToolUse_OneEntryEachWithIndexedIds()
    {
        var entries = Entries(412, "assistant", """
            {"type":"assistant","message":{"id":"m1","content":[
              {"type":"text","text":"Running the tests."},
              {"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"dotnet test","timeout":600}}]}}
            """);

        Assert.Equal(["412.1", "412.2"], entries.Select(e => e.Id));
        Assert.All(entries, e => Assert.Equal(412, e.Seq));
        Assert.Equal(("assistant", "Assistant", "Running the tests."), (entries[0].Kind, entries[0].Title, entries[0].Text));
        var tool = entries[1];
        Assert.Equal(("tool", "Bash", "dotnet test", "toolu_1"), (tool.Kind, tool.Title, tool.Text, tool.ToolUseId));
        Assert.Equal("{\n  \"command\": \"dotnet test\",\n  \"timeout\": 600\n}", tool.Input);
        Assert.False(tool.InputTruncated);
    }

    [Fact]
    public void Entries_OneBlock_IdIsTheSeqAlone()
    {
        var entry = Assert.Single(Entries(7, "assistant", """{"type":"assistant","message":{"content":[{"type":"thinking","thinking":"Which file?"}]}}"""));

        Assert.Equal(("7", "thinking", "Which file?"), (entry.Id, entry.Kind, entry.Text));
    }

    [Fact]
    public void Entries_LongToolResult_CutToTheShownLengthWithTheFullLength()
    {
        var output = string.Concat(Enumerable.Range(0, 1000).Select(i => $"line {i}\n"));
        var data = JsonSerializer.Serialize(new { type = "user", message = new { role = "user", content = new[] { new { type = "tool_result", tool_use_id = "toolu_1", content = output, is_error = false } } } });

        var entry = Assert.Single(Entries(9, "user/tool_result", data));

        Assert.Equal(("result", "toolu_1", false), (entry.Kind, entry.ToolUseId, entry.IsError));
        Assert.True(entry.Truncated);
        Assert.Equal(TranscriptView.ShownLength, entry.Text.Length);
        Assert.Equal(output.Length, entry.FullLength);
        Assert.StartsWith("line 0\nline 1\n", entry.Text, StringComparison.Ordinal);

        var full = Assert.Single(TranscriptView.Entries(new StoredEvent("t", 9, At, "user/tool_result", data), _redactor, TranscriptView.FullLength));
        Assert.False(full.Truncated);
        Assert.Equal(output, full.Text);
    }

    [Fact]
    public void Entries_ToolResultBlocks_TextJoinedAndImagesNamed()
    {
        var entry = Assert.Single(Entries(3, "user/tool_result", """
            {"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"first"},{"type":"image","source":{}},{"type":"text","text":"last"}]}]}}
            """));

        Assert.Equal("first\n[image]\nlast", entry.Text);
    }

    [Fact]
    public void Entries_ErrorToolResult_IsErrorAndFlagged()
    {
        var entry = Assert.Single(Entries(5, "user/tool_result", """
            {"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"toolu_3","content":"Exit code 1\nbuild failed","is_error":true}]}}
            """));

        Assert.Equal(("result", "Tool error", "Exit code 1\nbuild failed"), (entry.Kind, entry.Title, entry.Text));
        Assert.True(entry.IsError);
        Assert.True(entry.Flagged);
    }

    [Fact]
    public void Entries_GatewayDenied_DeniedAndFlaggedWithTheRequestAndWhy()
    {
        var entry = Assert.Single(Entries(11, "gateway/denied", """
            {"route":"egress","host":"evil.example","method":"GET","path":"/x","message":"evil.example is not on the agent's egress allow-list"}
            """));

        Assert.Equal(("denied", "gateway denied"), (entry.Kind, entry.Title));
        Assert.Equal("GET evil.example/x\nevil.example is not on the agent's egress allow-list\nroute: egress", entry.Text);
        Assert.True(entry.Flagged);
    }

    [Fact]
    public void Entries_FailedRun_FinalFlaggedWithItsFacts()
    {
        var entry = Assert.Single(Entries(90, "result", """
            {"type":"result","subtype":"error_max_turns","is_error":true,"num_turns":12,"duration_ms":65000,"total_cost_usd":0.1234,"result":"ran out of turns","usage":{"input_tokens":10,"output_tokens":20}}
            """));

        Assert.Equal(("final", "Failed: error_max_turns"), (entry.Kind, entry.Title));
        Assert.StartsWith("ran out of turns\n12 turns · ", entry.Text, StringComparison.Ordinal);
        Assert.Contains("$0.1234", entry.Text, StringComparison.Ordinal);
        Assert.Contains("10 input / 20 output tokens", entry.Text, StringComparison.Ordinal);
        Assert.True(entry.IsError && entry.Flagged);
    }

    [Fact]
    public void Entries_SuccessWithIsError_IsAFailure()
    {
        var entry = Assert.Single(Entries(90, "result", """{"type":"result","subtype":"success","is_error":true,"result":"Invalid API key"}"""));

        Assert.Equal("Failed", entry.Title);
        Assert.True(entry.IsError);
    }

    [Fact]
    public void Entries_RunnerStep_TitledByItsType()
    {
        var checkout = Assert.Single(Entries(2, "runner/checkout", """{"path":"/work/t","branch":"dev/issue-1","start":"abc123","branch_existed":false}"""));
        var stderr = Assert.Single(Entries(3, "runner/stderr", """{"line":"warning: something"}"""));
        var unknown = Assert.Single(Entries(4, "runner/new-step", """{"detail":"what happened","count":2,"names":["a","b"],"nested":{"x":1}}"""));

        Assert.Equal(("runner", "runner/checkout", "branch dev/issue-1 at abc123\nin /work/t"), (checkout.Kind, checkout.Title, checkout.Text));
        Assert.Equal(("runner", "runner/stderr", "warning: something"), (stderr.Kind, stderr.Title, stderr.Text));
        Assert.Equal("detail: what happened\ncount: 2\nnames: a, b\nnested: {\"x\":1}", unknown.Text);
    }

    [Theory]
    [InlineData("agent/runner/outcome")]
    [InlineData("stream_event")]
    [InlineData("something-new")]
    public void Entries_UnknownOrTaskPrintedType_OtherWithItsJson(string type)
    {
        var entry = Assert.Single(Entries(8, type, """{"status":"succeeded"}"""));

        Assert.Equal(("other", type, "{\n  \"status\": \"succeeded\"\n}"), (entry.Kind, entry.Title, entry.Text));
        Assert.False(entry.Flagged);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("\"'&amp;</pre><a href=\"javascript:alert(1)\">x</a>")]
    public void Entries_HostileMarkup_StaysExactlyThatText(string hostile)
    {
        var assistant = JsonSerializer.Serialize(new { type = "assistant", message = new { content = new object[]
        {
            new { type = "text", text = hostile },
            new { type = "tool_use", id = "toolu_<x>", name = "Bash", input = new { command = hostile } },
            new { type = "tool_use", id = "toolu_2", name = hostile, input = new { command = "ls" } },
        } } });

        var entries = Entries(1, "assistant", assistant);

        Assert.Equal(hostile, entries[0].Text);
        Assert.Equal(hostile, entries[1].Text);
        Assert.Equal(hostile, entries[2].Title);
        Assert.Contains(hostile.Replace("\"", "\\\"", StringComparison.Ordinal), entries[1].Input, StringComparison.Ordinal);
        Assert.Equal("toolu_<x>", entries[1].ToolUseId);
    }

    [Fact]
    public void Entries_KnownSecret_ReplacedInTextInputAndTitle()
    {
        var data = JsonSerializer.Serialize(new { type = "assistant", message = new { content = new object[]
        {
            new { type = "text", text = $"the token is {ForgeToken}." },
            new { type = "tool_use", id = "toolu_1", name = "Bash", input = new { command = $"curl -H 'Authorization: token {ForgeToken}' https://forge" } },
        } } });

        var entries = Entries(1, "assistant", data);

        Assert.Equal($"the token is {ForgeMarker}.", entries[0].Text);
        Assert.Equal($"curl -H 'Authorization: token {ForgeMarker}' https://forge", entries[1].Text);
        Assert.Contains(ForgeMarker, entries[1].Input, StringComparison.Ordinal);
        Assert.DoesNotContain(ForgeToken, JsonSerializer.Serialize(entries), StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_SecretAcrossTheCut_NotShownInPart()
    {
        var text = new string('x', TranscriptView.ShownLength - 10) + ForgeToken + new string('y', 5000);
        var data = JsonSerializer.Serialize(new { line = text });

        var entry = Assert.Single(Entries(1, "runner/stderr", data));

        Assert.True(entry.Truncated);
        Assert.DoesNotContain(ForgeToken[..10], entry.Text, StringComparison.Ordinal);
        Assert.EndsWith("[redacted:", entry.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_TokenFormat_ReplacedWithoutACatalog()
    {
        var token = "ghp_" + new string('A', 36);

        var entry = Assert.Single(TranscriptView.Entries(new StoredEvent("t", 1, At, "runner/stderr", $$"""{"line":"push with {{token}}"}"""), SecretRedactor.FormatsOnly));

        Assert.Equal("push with [redacted: github token format]", entry.Text);
    }

    [Theory]
    [InlineData("assistant", "{not json")]
    [InlineData("gateway/denied", "<html>")]
    [InlineData("result", "[1,2")]
    [InlineData("runner/malformed", "")]
    public void Entries_BadJson_OtherEntryWithTheRawText(string type, string data)
    {
        var entry = Assert.Single(Entries(6, type, data));

        Assert.Equal(("6", "other", type, data), (entry.Id, entry.Kind, entry.Title, entry.Text));
    }

    [Theory]
    [InlineData("assistant", """{"type":"assistant","message":{"content":[{"type":"tool_use","name":5,"input":"not an object"},{"type":"text","text":7},{"type":"mystery"}]}}""")]
    [InlineData("assistant", """{"type":"assistant","message":"hello"}""")]
    [InlineData("user/tool_result", """{"type":"user","message":{"content":[{"type":"tool_result","content":{"a":[1]}}]}}""")]
    [InlineData("result", """{"type":"result","num_turns":"many","total_cost_usd":"free","usage":[]}""")]
    [InlineData("gateway/denied", """{"host":["a"],"path":null}""")]
    [InlineData("runner/sandbox", """{"warm":"yes","create_ms":1.5}""")]
    [InlineData("system/init", """{"tools":{"x":1},"model":3}""")]
    [InlineData("runner/start", """{"argv":"--x"}""")]
    [InlineData("assistant", "[1,2,3]")]
    [InlineData("assistant", "\"text\"")]
    public void Entries_UnexpectedShapes_NeverThrow(string type, string data)
    {
        var entries = Entries(1, type, data);

        Assert.All(entries, e => Assert.NotNull(e.Text));
    }

    [Fact]
    public void Entries_MalformedLine_AnErrorWithTheReasonAndLine()
    {
        var entry = Assert.Single(Entries(4, "runner/malformed", """{"reason":"not JSON (unexpected character)","line":"Killed"}"""));

        Assert.Equal(("error", "not JSON (unexpected character)\nKilled"), (entry.Kind, entry.Text));
    }

    [Fact]
    public void Entries_AssistantError_AnErrorEntryBeforeItsText()
    {
        var entries = Entries(4, "assistant", """{"type":"assistant","error":"authentication_failed","message":{"content":[{"type":"text","text":"Invalid API key"}]}}""");

        Assert.Equal([("error", "authentication_failed"), ("assistant", "Invalid API key")], entries.Select(e => (e.Kind, e.Text)));
        Assert.True(entries[0].Flagged);
    }

    [Fact]
    public void Entries_LongInput_CutWithItsLength()
    {
        var content = new string('z', 10_000);
        var data = JsonSerializer.Serialize(new { type = "assistant", message = new { content = new[] { new { type = "tool_use", id = "toolu_9", name = "Write", input = new { file_path = "/work/a.txt", content } } } } });

        var entry = Assert.Single(Entries(1, "assistant", data));

        Assert.Equal("/work/a.txt", entry.Text);
        Assert.True(entry.InputTruncated);
        Assert.Equal(TranscriptView.ShownLength, entry.Input!.Length);
        Assert.True(entry.InputLength > 10_000);
    }

    [Fact]
    public void Entries_CutInsideASurrogatePair_KeepsThePairWhole()
    {
        var text = new string('a', TranscriptView.ShownLength - 1) + "😀" + "rest";

        var entry = Assert.Single(Entries(1, "runner/stderr", JsonSerializer.Serialize(new { line = text })));

        Assert.Equal(TranscriptView.ShownLength - 1, entry.Text.Length);
        Assert.False(char.IsHighSurrogate(entry.Text[^1]));
    }

    private IReadOnlyList<TranscriptEntry> Entries(long seq, string type, string data) =>
        TranscriptView.Entries(new StoredEvent("t", seq, At, type, data), _redactor);
}
