using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.TestServers;

/// <summary>
/// The part of the Anthropic Messages API that Claude Code uses, answering from a script: streaming SSE
/// (<c>message_start</c>, <c>content_block_*</c> with <c>text_delta</c> and <c>input_json_delta</c>,
/// <c>message_delta</c>, <c>message_stop</c>), non-streaming JSON, <c>count_tokens</c> and <c>HEAD /</c>.
/// Conversation requests (those offering tools) take the next scripted turn; side requests get a short text. A
/// <see cref="HeldTurn"/> waits for the test to let it go, a <see cref="ComputedTurn"/> is made from the request.
/// Every request is recorded.
/// </summary>
public sealed class ScriptedModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedTurn> _turns = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ScriptedTurn>> _turnsByMarker = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _messageCounter;

    private ScriptedModelServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public IReadOnlyList<RecordedRequest> ConversationRequests => [.. _requests.Where(r => r.IsConversation)];

    public int PendingTurns => _turns.Count;

    public Uri BaseUrl(string host) => new($"http://{host}:{Port}");

    public void Enqueue(params ScriptedTurn[] turns)
    {
        foreach (var turn in turns)
        {
            _turns.Enqueue(turn);
        }
    }

    /// <summary>Turns for the conversations whose requests contain <paramref name="marker"/> (e.g. a word of their prompt), so concurrent runs each get their own script.</summary>
    public void EnqueueFor(string marker, params ScriptedTurn[] turns)
    {
        var queue = _turnsByMarker.GetOrAdd(marker, _ => new ConcurrentQueue<ScriptedTurn>());
        foreach (var turn in turns)
        {
            queue.Enqueue(turn);
        }
    }

    public void Reset()
    {
        _turns.Clear();
        _turnsByMarker.Clear();
        _requests.Clear();
    }

    /// <summary>Listens on each address (e.g. an agent network's gateway, so containers reach it) on one free port.</summary>
    public static async Task<ScriptedModelServer> StartAsync(IEnumerable<string> addresses)
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        foreach (var address in addresses)
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), port));
        }

        var app = builder.Build();
        var server = new ScriptedModelServer(app, port);
        app.MapMethods("/", ["HEAD", "GET"], async (HttpContext context) =>
        {
            await server.Record(context, "");
            return Results.Ok();
        });
        app.MapPost("/v1/messages/count_tokens", async (HttpContext context) =>
        {
            await server.Record(context, await ReadBodyAsync(context));
            return Results.Json(new { input_tokens = 42 });
        });
        app.MapPost("/v1/messages", server.MessagesAsync);
        app.MapFallback(async (HttpContext context) =>
        {
            await server.Record(context, await ReadBodyAsync(context));
            return Results.NotFound(new { type = "error", error = new { type = "not_found_error", message = $"no {context.Request.Path} here" } });
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task MessagesAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context);
        var request = await Record(context, body);
        using var json = request.Json;
        var stream = json?.RootElement.TryGetProperty("stream", out var s) == true && s.ValueKind == JsonValueKind.True;
        var model = json?.RootElement.TryGetProperty("model", out var m) == true ? m.GetString() ?? "scripted" : "scripted";
        var turn = request.IsConversation && NextTurn(body) is { } next ? next : new TextTurn(request.IsConversation ? "Nothing more is scripted." : "ok");
        if (turn is HeldTurn held)
        {
            try
            {
                await held.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            turn = held.Then;
        }

        if (turn is ComputedTurn computed)
        {
            turn = computed.Answer(body);
        }

        // A hostile or simply expensive model: the usage it reports is what the gateway counts and prices.
        var outputTokens = 20L;
        if (turn is CostlyTurn costly)
        {
            outputTokens = costly.OutputTokens;
            turn = costly.Turn;
        }

        var id = $"msg_scripted_{Interlocked.Increment(ref _messageCounter)}";

        if (turn is ErrorTurn error)
        {
            context.Response.StatusCode = error.Status;
            await context.Response.WriteAsJsonAsync(new { type = "error", error = new { type = error.Type, message = error.Message } });
            return;
        }

        if (!stream)
        {
            var content = turn is ToolUseTurn tool
                ? new object[] { new { type = "tool_use", id = $"toolu_{id}", name = tool.Name, input = JsonSerializer.Deserialize<JsonElement>(tool.InputJson) } }
                : [new { type = "text", text = (turn as TextTurn)?.Value ?? "" }];
            await context.Response.WriteAsJsonAsync(new
            {
                id, type = "message", role = "assistant", model, content,
                stop_reason = turn is ToolUseTurn ? "tool_use" : "end_turn", stop_sequence = (string?)null,
                usage = new { input_tokens = 100, output_tokens = outputTokens },
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var aborted = context.RequestAborted;
        await SendAsync(context, "message_start", new
        {
            type = "message_start",
            message = new { id, type = "message", role = "assistant", model, content = Array.Empty<object>(), stop_reason = (string?)null, stop_sequence = (string?)null, usage = new { input_tokens = 100, output_tokens = 1 } },
        });

        switch (turn)
        {
            case StallTurn stall:
                try
                {
                    await Task.Delay(stall.Duration, aborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                await SendTextAsync(context, "…");
                await FinishAsync(context, "end_turn", outputTokens);
                return;
            case ToolUseTurn tool:
                await SendAsync(context, "content_block_start", new { type = "content_block_start", index = 0, content_block = new { type = "tool_use", id = $"toolu_{id}", name = tool.Name, input = new { } } });
                var half = tool.InputJson.Length / 2;
                await SendAsync(context, "content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "input_json_delta", partial_json = tool.InputJson[..half] } });
                await SendAsync(context, "content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "input_json_delta", partial_json = tool.InputJson[half..] } });
                await SendAsync(context, "content_block_stop", new { type = "content_block_stop", index = 0 });
                await FinishAsync(context, "tool_use", outputTokens);
                return;
            default:
                await SendTextAsync(context, ((TextTurn)turn).Value);
                await FinishAsync(context, "end_turn", outputTokens);
                return;
        }
    }

    private ScriptedTurn? NextTurn(string body)
    {
        foreach (var (marker, queue) in _turnsByMarker)
        {
            if (body.Contains(marker, StringComparison.Ordinal))
            {
                return queue.TryDequeue(out var own) ? own : null;
            }
        }

        return _turns.TryDequeue(out var next) ? next : null;
    }

    private static async Task SendTextAsync(HttpContext context, string text)
    {
        await SendAsync(context, "content_block_start", new { type = "content_block_start", index = 0, content_block = new { type = "text", text = "" } });
        await SendAsync(context, "content_block_delta", new { type = "content_block_delta", index = 0, delta = new { type = "text_delta", text } });
        await SendAsync(context, "content_block_stop", new { type = "content_block_stop", index = 0 });
    }

    private static async Task FinishAsync(HttpContext context, string stopReason, long outputTokens)
    {
        await SendAsync(context, "message_delta", new { type = "message_delta", delta = new { stop_reason = stopReason, stop_sequence = (string?)null }, usage = new { output_tokens = outputTokens } });
        await SendAsync(context, "message_stop", new { type = "message_stop" });
    }

    private static async Task SendAsync(HttpContext context, string name, object data)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private Task<RecordedRequest> Record(HttpContext context, string body)
    {
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var request = new RecordedRequest(DateTimeOffset.UtcNow, context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body);
        _requests.Enqueue(request);
        return Task.FromResult(request);
    }

    private static async Task<string> ReadBodyAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(context.RequestAborted);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
