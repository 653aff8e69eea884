using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Agents;

/// <summary>
/// Turns one run's output into the task's events, wherever the CLI runs: stdout is read as stream-json (every event
/// stored in order, the service's own event types never taken from it), stderr is stored line by line as
/// <c>runner/stderr</c>. What the output says about the run goes into its <see cref="RunState"/>.
/// </summary>
internal sealed class RunOutput(TaskEventBus events, string taskId, RunState state)
{
    private const int StderrEventLimit = 500;
    private const int StderrLineLimit = 64 * 1024;

    /// <summary>Event types only the service writes (runner, gateway and security events).</summary>
    private static readonly string[] ReservedPrefixes = ["runner/", "gateway/", "security/", "agent/"];

    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _stderrLine = new();
    private char[] _decoded = [];
    private bool _discarding;

    public static async Task PublishAsync<T>(TaskEventBus events, string taskId, string type, T payload) =>
        await events.PublishAsync(taskId, type, JsonSerializer.Serialize(payload, OutcomeJson.Options), CancellationToken.None);

    /// <summary>
    /// Adds a piece of stderr, decoded across pieces (a character split between two reads stays whole); each line
    /// it completes is stored. One caller at a time.
    /// </summary>
    public async Task StderrAsync(ReadOnlyMemory<byte> bytes)
    {
        var room = Encoding.UTF8.GetMaxCharCount(bytes.Length);
        if (_decoded.Length < room)
        {
            _decoded = new char[room];
        }

        var count = _decoder.GetChars(bytes.Span, _decoded, flush: false);
        await FlushStderrAsync(_decoded.AsMemory(0, count), final: false);
    }

    /// <summary>Stores the last, unfinished stderr line, once stderr has ended.</summary>
    public async Task EndStderrAsync()
    {
        var last = new char[16];
        var count = _decoder.GetChars([], last, flush: true);
        await FlushStderrAsync(last.AsMemory(0, count), final: true);
    }

    /// <summary>
    /// Adds <paramref name="chunk"/> to the pending stderr line and stores each line it completes. A line is kept
    /// up to 64 KiB and then cut: the rest of it, up to its newline, is dropped, so a CLI printing without a newline
    /// cannot grow the service's memory.
    /// </summary>
    private async Task FlushStderrAsync(ReadOnlyMemory<char> chunk, bool final)
    {
        var pending = _stderrLine;
        var lines = new List<string>();
        var rest = chunk;
        while (true)
        {
            var newline = rest.Span.IndexOf('\n');
            var piece = newline < 0 ? rest : rest[..newline];
            if (!_discarding)
            {
                var room = StderrLineLimit - pending.Length;
                if (piece.Length > room)
                {
                    pending.Append(piece[..room]);
                    lines.Add($"{pending} … (line cut at {StderrLineLimit / 1024} KiB)");
                    pending.Clear();
                    _discarding = true;
                }
                else
                {
                    pending.Append(piece);
                }
            }

            if (newline < 0)
            {
                break;
            }

            if (!_discarding)
            {
                lines.Add(pending.ToString());
            }

            pending.Clear();
            _discarding = false;
            rest = rest[(newline + 1)..];
        }

        if (final && pending.Length > 0)
        {
            lines.Add(pending.ToString());
            pending.Clear();
        }

        foreach (var line in lines.Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
        {
            state.AddStderr(line);
            if (state.StderrLines <= StderrEventLimit)
            {
                await PublishAsync(events, taskId, "runner/stderr", new { line });
            }
        }
    }

    /// <summary>Reads stdout to its end as stream-json, storing every event and noting in the state what it says about the run.</summary>
    public async Task ConsumeAsync(PipeReader stdout)
    {
        await using var input = stdout.AsStream();
        await foreach (var agentEvent in StreamJsonReader.ReadAsync(input, CancellationToken.None))
        {
            state.Touch();
            switch (agentEvent)
            {
                case InitEvent init:
                    state.Init = init;
                    state.Started?.Invoke();
                    state.Started = null;
                    break;
                case ResultEvent result:
                    state.Result = result;
                    break;
                case AssistantEvent { Error: { } error }:
                    state.AssistantError = error;
                    break;
                case MalformedLine malformed:
                    // The first few are kept to explain the failure; the rest only counted, however many a task prints.
                    if (state.Malformed.Count < 20)
                    {
                        state.Malformed.Add(malformed);
                    }

                    state.MalformedLines++;
                    break;
                case ApiRetryEvent { ErrorStatus: 401 or 403 } or ApiRetryEvent { Error: "authentication_failed" }:
                    // The CLI retries a rejected credential for minutes; it cannot start working within this run.
                    state.RequestStop(StopReason.Authentication);
                    break;
            }

            if (agentEvent is MalformedLine bad)
            {
                await PublishAsync(events, taskId, bad.Type, new { reason = bad.Reason, line = bad.Raw });
            }
            else
            {
                // The service's own event types cannot be printed by a task: a forged marker would stand for the real one.
                var type = ReservedPrefixes.Any(p => agentEvent.Type.StartsWith(p, StringComparison.Ordinal)) ? "agent/" + agentEvent.Type : agentEvent.Type;
                await events.PublishAsync(taskId, type, agentEvent.Raw, CancellationToken.None);
            }
        }
    }
}
