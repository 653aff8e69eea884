using System.Diagnostics.Metrics;
using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Hosting;

/// <summary>
/// Every instrument of the <c>ClaudeHooks</c> meter, recorded where the thing happens and exported on
/// <c>/metrics</c> (and over OTLP when <c>service.otlp_endpoint</c> is set). Labels take only bounded values: agent
/// names from the config, task states, routes, decisions, HTTP methods and status classes; never a task id, a
/// repository, a host or any text a task wrote.
/// </summary>
internal sealed class ServiceMetrics : IDisposable
{
    public const string MeterName = "ClaudeHooks";

    private readonly Meter _meter;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _runDuration;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _recoveries;
    private readonly Counter<long> _forgeRequests;
    private readonly Counter<long> _forgeRetries;
    private readonly Counter<long> _gatewayDecisions;
    private readonly Histogram<double> _sandboxStart;

    public ServiceMetrics(IMeterFactory meters, TaskCounts? counts = null)
    {
        _meter = meters.Create(MeterName);
        _transitions = _meter.CreateCounter<long>("claude_hooks.task.transitions", "{transition}", "Task state changes, by the state entered and the agent");
        _runDuration = _meter.CreateHistogram<double>("claude_hooks.task.run.duration", "s", "How long a run took, by agent and the state it ended the task in",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] });
        _cost = _meter.CreateCounter<double>("claude_hooks.task.cost_usd", null, "Model cost of runs in US dollars, as the CLI reported it, by agent");
        _tokens = _meter.CreateCounter<long>("claude_hooks.task.tokens", "{token}", "Model tokens of runs, by agent and type (input, output)");
        _recoveries = _meter.CreateCounter<long>("claude_hooks.task.recoveries", "{task}", "Tasks a dead or stopped service left behind, by agent, kind (lease_expired, interrupted) and result (queued, failed)");
        _forgeRequests = _meter.CreateCounter<long>("claude_hooks.forge.requests", "{request}", "Forge API attempts, by method and outcome (2xx, 4xx, 5xx, timeout, error)");
        _forgeRetries = _meter.CreateCounter<long>("claude_hooks.forge.retries", "{retry}", "Forge API attempts tried again by the resilience pipeline, by method");
        _gatewayDecisions = _meter.CreateCounter<long>("claude_hooks.gateway.decisions", "{request}", "Requests sandboxes sent through the gateway, by agent, route and decision (allowed, denied)");
        _sandboxStart = _meter.CreateHistogram<double>("claude_hooks.sandbox.start.duration", "s", "Time to create and start a sandbox, by agent and whether it was made ahead (warm)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60] });
        if (counts is not null)
        {
            _meter.CreateObservableGauge("claude_hooks.tasks", counts.ByState, "{task}", "Tasks in the store, by agent and state");
            _meter.CreateObservableGauge("claude_hooks.queue.depth", counts.QueueDepth, "{task}", "Queued tasks, by agent");
            _meter.CreateObservableGauge("claude_hooks.queue.oldest_age", counts.OldestQueuedAge, "s", "Age of the oldest queued task, by agent (0 when none is queued)");
        }
    }

    public void Transition(string agent, TaskState to) =>
        _transitions.Add(1, new("agent", agent), new("state", to.ToName()));

    /// <summary>A run ended (the move that recorded its outcome applied): its duration, cost and tokens.</summary>
    public void RunEnded(string agent, TaskState to, RunOutcome outcome)
    {
        var agentTag = new KeyValuePair<string, object?>("agent", agent);
        _runDuration.Record(outcome.DurationMs / 1000.0, agentTag, new("state", to.ToName()));
        if (outcome.CostUsd is { } cost)
        {
            _cost.Add((double)cost, agentTag);
        }

        var (input, output) = Tokens(outcome.UsageJson);
        if (input > 0)
        {
            _tokens.Add(input, agentTag, new("type", "input"));
        }

        if (output > 0)
        {
            _tokens.Add(output, agentTag, new("type", "output"));
        }
    }

    public void Recovered(string agent, TaskState from, TaskState to) =>
        _recoveries.Add(1, new("agent", agent), new("kind", from == TaskState.Running ? "lease_expired" : "interrupted"), new("result", to.ToName()));

    public void ForgeRequest(string method, string outcome) =>
        _forgeRequests.Add(1, new("method", Method(method)), new("outcome", outcome));

    public void ForgeRetry(string method) =>
        _forgeRetries.Add(1, new KeyValuePair<string, object?>("method", Method(method)));

    public void GatewayDecision(string agent, string route, string decision) =>
        _gatewayDecisions.Add(1, new("agent", agent), new("route", route), new("decision", decision));

    public void SandboxStarted(string agent, bool warm, TimeSpan took) =>
        _sandboxStart.Record(took.TotalSeconds, new("agent", agent), new("warm", warm ? "true" : "false"));

    /// <summary>The outcome class of one forge HTTP attempt: its status class, or why it had none.</summary>
    public static string ForgeOutcome(int? status, Exception? exception) => status switch
    {
        >= 100 and < 600 => $"{status / 100}xx",
        _ => exception is Polly.Timeout.TimeoutRejectedException or TimeoutException or TaskCanceledException ? "timeout" : "error",
    };

    public void Dispose() => _meter.Dispose();

    // Methods a forge client may send; anything else is folded into one value so the label stays bounded.
    private static string Method(string method) => method is "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" ? method : "other";

    /// <summary>Input and output tokens of the CLI's <c>usage</c> object; zero when it has none or is not JSON.</summary>
    internal static (long Input, long Output) Tokens(string? usageJson)
    {
        if (string.IsNullOrEmpty(usageJson))
        {
            return (0, 0);
        }

        try
        {
            using var usage = JsonDocument.Parse(usageJson);
            if (usage.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (0, 0);
            }

            static long Number(JsonElement e, string name) =>
                e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0 ? n : 0;
            return (Number(usage.RootElement, "input_tokens"), Number(usage.RootElement, "output_tokens"));
        }
        catch (JsonException)
        {
            return (0, 0);
        }
    }
}
