using System.Globalization;
using System.Text.Json;

namespace ClaudeHooks.Cli;

/// <summary>A run's figures as people read them, "50.2 s · $0.0132 · 7 turns", with "-" for each one the run does not have.</summary>
/// <remarks>
/// The figures come from what the agent's CLI wrote (a result event, an outcome built from it), so any of them can
/// be a number no run has: each outside what a run can have shows as "-" rather than overflow or fill the line.
/// </remarks>
internal static class OutcomeText
{
    /// <summary>Far above what any run spends, low enough that the figure stays a few characters wide.</summary>
    private const double MaxCostUsd = 1_000_000;

    /// <summary>From an outcome or a result event: <c>duration_ms</c>, <c>cost_usd</c> (or <c>total_cost_usd</c>), <c>turns</c> (or <c>num_turns</c>).</summary>
    public static string Format(JsonElement outcome)
    {
        var duration = Number(outcome, "duration_ms") is { } ms and >= 0 and <= Dashboard.Format.MaxDurationMs ? Duration(TimeSpan.FromMilliseconds(ms)) : "-";
        var cost = (Number(outcome, "cost_usd") ?? Number(outcome, "total_cost_usd")) is { } usd and >= 0 and < MaxCostUsd ? string.Create(CultureInfo.InvariantCulture, $"${usd:0.0000}") : "-";
        var turns = (Number(outcome, "turns") ?? Number(outcome, "num_turns")) is { } count and >= 0 and <= int.MaxValue && count == Math.Floor(count)
            ? string.Create(CultureInfo.InvariantCulture, $"{count:0} turn{(count == 1 ? "" : "s")}")
            : "-";
        return $"{duration} · {cost} · {turns}";
    }

    /// <summary>Seconds with a tenth below ten minutes, then minutes and seconds, then hours and minutes.</summary>
    public static string Duration(TimeSpan duration) => duration.TotalMinutes switch
    {
        < 10 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s"),
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes} min {duration.Seconds} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours} h {duration.Minutes} min"),
    };

    // TryGetDouble, not GetDouble: a number past double's range (1e400) makes GetDouble throw.
    private static double? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && double.IsFinite(number)
            ? number
            : null;
}
