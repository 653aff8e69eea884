using System.Globalization;
using System.Text.Json;

namespace ClaudeHooks.Cli;

/// <summary>A run's figures as people read them, "50.2 s · $0.0132 · 7 turns", with "-" for each one the run does not have.</summary>
internal static class OutcomeText
{
    /// <summary>From an outcome or a result event: <c>duration_ms</c>, <c>cost_usd</c> (or <c>total_cost_usd</c>), <c>turns</c> (or <c>num_turns</c>).</summary>
    public static string Format(JsonElement outcome)
    {
        var duration = Number(outcome, "duration_ms") is { } ms ? Duration(TimeSpan.FromMilliseconds(ms)) : "-";
        var cost = (Number(outcome, "cost_usd") ?? Number(outcome, "total_cost_usd")) is { } usd ? string.Create(CultureInfo.InvariantCulture, $"${usd:0.0000}") : "-";
        var turns = (Number(outcome, "turns") ?? Number(outcome, "num_turns")) is { } count ? string.Create(CultureInfo.InvariantCulture, $"{count:0} turn{(count == 1 ? "" : "s")}") : "-";
        return $"{duration} · {cost} · {turns}";
    }

    /// <summary>Seconds with a tenth below ten minutes, then minutes and seconds, then hours and minutes.</summary>
    public static string Duration(TimeSpan duration) => duration.TotalMinutes switch
    {
        < 10 => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.0} s"),
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes} min {duration.Seconds} s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours} h {duration.Minutes} min"),
    };

    private static double? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
