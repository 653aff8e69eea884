using System.Diagnostics;
using System.Text;

namespace ClaudeHooks.Agents;

/// <summary>What one run of the CLI has shown so far: its init and result events, errors, stderr, and when it last printed anything.</summary>
internal sealed class RunState(long started)
{
    private readonly StringBuilder _stderr = new();
    private readonly long _started = started;
    private long _lastOutput = started;
    private int _stop;

    public InitEvent? Init { get; set; }

    /// <summary>Called once, when the CLI reports it has started.</summary>
    public Action? Started { get; set; }

    public ResultEvent? Result { get; set; }

    public string? AssistantError { get; set; }

    public List<MalformedLine> Malformed { get; } = [];

    public long MalformedLines { get; set; }

    public StopReason Stop => (StopReason)Volatile.Read(ref _stop);

    /// <summary>The first reason wins.</summary>
    public void RequestStop(StopReason reason) => Interlocked.CompareExchange(ref _stop, (int)reason, (int)StopReason.None);

    public int StderrLines { get; private set; }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    public TimeSpan SinceOutput => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastOutput));

    public void Touch() => Interlocked.Exchange(ref _lastOutput, Stopwatch.GetTimestamp());

    public void AddStderr(string line)
    {
        lock (_stderr)
        {
            StderrLines++;
            if (_stderr.Length < 16 * 1024)
            {
                _stderr.AppendLine(line);
            }
        }
    }
}
