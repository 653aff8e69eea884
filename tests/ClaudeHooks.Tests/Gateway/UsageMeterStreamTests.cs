using System.Text;
using ClaudeHooks.Gateway;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Gateway;

public sealed class UsageMeterStreamTests
{
    private const string Stream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"m","model":"claude-sonnet-4-5","usage":{"input_tokens":1200,"cache_creation_input_tokens":300,"cache_read_input_tokens":5000,"output_tokens":1}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"usage: output_tokens 999999 message_delta"}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":750}}

        event: message_stop
        data: {"type":"message_stop"}


        """;

    [Fact]
    public async Task Usage_EventStreamInSmallWrites_TakesMessageStartAndTheLastDelta_AndPassesEveryByte()
    {
        using var sink = new MemoryStream();
        await using var meter = new UsageMeterStream(sink, () => true);
        var bytes = Encoding.UTF8.GetBytes(Stream.ReplaceLineEndings("\n"));
        for (var i = 0; i < bytes.Length; i += 7)
        {
            await meter.WriteAsync(bytes.AsMemory(i, Math.Min(7, bytes.Length - i)));
        }

        Assert.Equal(bytes, sink.ToArray());
        Assert.Equal(new BudgetUsage("claude-sonnet-4-5", 1200, 750, 300, 5000), meter.Usage);
    }

    [Fact]
    public async Task Charge_StreamCutBeforeItsMessageDelta_IsTheRequestsWholeMaxTokens()
    {
        using var sink = new MemoryStream();
        await using var meter = new UsageMeterStream(sink, () => true);
        var text = Stream.ReplaceLineEndings("\n");
        await meter.WriteAsync(Encoding.UTF8.GetBytes(text[..text.IndexOf("event: message_delta", StringComparison.Ordinal)]));

        Assert.False(meter.Complete);
        var charged = meter.Charge(new ModelRequestFacts(4000, "claude-opus-4-1", 32_000));
        Assert.Equal(new BudgetUsage("claude-sonnet-4-5", 1200, 32_000, 300, 5000), charged);
    }

    [Fact]
    public async Task Charge_CompleteStream_IsWhatItReported()
    {
        using var sink = new MemoryStream();
        await using var meter = new UsageMeterStream(sink, () => true);
        await meter.WriteAsync(Encoding.UTF8.GetBytes(Stream.ReplaceLineEndings("\n")));

        Assert.True(meter.Complete);
        Assert.Equal(new BudgetUsage("claude-sonnet-4-5", 1200, 750, 300, 5000), meter.Charge(new ModelRequestFacts(4000, "claude-opus-4-1", 32_000)));
    }

    [Fact]
    public async Task Charge_JsonBodyCutShort_IsTheRequestsWorstCase()
    {
        using var sink = new MemoryStream();
        await using var meter = new UsageMeterStream(sink, () => false);
        await meter.WriteAsync(Encoding.UTF8.GetBytes("""{"id":"m","model":"claude-haiku-4-5","content":[{"type":"text","te"""));

        Assert.False(meter.Complete);
        Assert.Equal(new BudgetUsage("claude-opus-4-1", 2000, 8000, 0, 0), meter.Charge(new ModelRequestFacts(4000, "claude-opus-4-1", 8000)));
    }

    [Fact]
    public async Task Usage_OneHourCacheWrites_AreCountedApart()
    {
        using var sink = new MemoryStream();
        await using var meter = new UsageMeterStream(sink, () => false);
        await meter.WriteAsync(Encoding.UTF8.GetBytes("""{"model":"claude-opus-4-1","usage":{"input_tokens":10,"cache_creation_input_tokens":900,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":800},"output_tokens":5}}"""));

        Assert.Equal(800, meter.Usage.CacheCreationOneHourTokens);
        Assert.True(meter.Complete);
    }

    [Fact]
    public void Facts_Read_TakesTheTopLevelModelAndMaxTokensOnly()
    {
        var facts = ModelRequestFacts.Read(Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"{\"max_tokens\":1}","model":"x"}],"metadata":{"max_tokens":2},"model":"claude-opus-4-1","max_tokens":32000}"""));

        Assert.Equal(("claude-opus-4-1", (long?)32000), (facts.Model, facts.MaxTokens));
    }

    [Fact]
    public async Task Usage_JsonBody_IsReadOnceItHasAllArrived()
    {
        using var sink = new MemoryStream();
        await using var meter = new UsageMeterStream(sink, () => false);
        var body = Encoding.UTF8.GetBytes("""
            {"id":"m","type":"message","model":"claude-opus-4-1",
             "content":[{"type":"text","text":"hi"}],
             "usage":{"input_tokens":10,"output_tokens":20}}
            """);

        await meter.WriteAsync(body.AsMemory(0, 30));
        await meter.WriteAsync(body.AsMemory(30));

        Assert.Equal(body, sink.ToArray());
        Assert.Equal(new BudgetUsage("claude-opus-4-1", 10, 20, 0, 0), meter.Usage);
    }

    [Fact]
    public async Task Usage_NotJson_CountsNothing_AndStillPassesTheBody()
    {
        using var sink = new MemoryStream();
        await using var meter = new UsageMeterStream(sink, () => false);
        await meter.WriteAsync("<html>bad gateway</html>"u8.ToArray());

        Assert.True(meter.Usage.IsEmpty);
        Assert.Equal("<html>bad gateway</html>", Encoding.UTF8.GetString(sink.ToArray()));
    }
}
