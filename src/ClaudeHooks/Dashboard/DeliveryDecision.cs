using ClaudeHooks.Forge;

namespace ClaudeHooks.Dashboard;

/// <summary>
/// What came of a webhook delivery. <paramref name="Kind"/> is <c>queued</c> (it queued <paramref name="TaskId"/>;
/// <paramref name="Text"/> is what follows, such as "(implement for dev)"), <c>pending</c> (not processed yet),
/// <c>retrying</c> (an attempt failed; it is tried again), <c>dead</c> (given up; the text says why) or
/// <c>skipped</c> (routed to no task; the text says why: ignored, a duplicate, refused).
/// </summary>
public sealed record DeliveryDecision(string Kind, string Text, string? TaskId)
{
    internal static DeliveryDecision Of(DeliveryRecord delivery, Func<string, string> redact)
    {
        var outcome = delivery.Outcome is null ? null : redact(delivery.Outcome);
        if (delivery.DeadAt is not null)
        {
            return new DeliveryDecision("dead", outcome ?? $"given up after {delivery.Attempts} attempts", null);
        }

        if (delivery.TaskId is { } task)
        {
            var queued = $"queued task {task}";
            var rest = outcome is not null && outcome.StartsWith(queued, StringComparison.Ordinal) ? outcome[queued.Length..].Trim() : outcome ?? "";
            return new DeliveryDecision("queued", rest, task);
        }

        if (outcome is not null)
        {
            return new DeliveryDecision("skipped", outcome, null);
        }

        return delivery.Attempts > 0
            ? new DeliveryDecision("retrying", $"attempt {delivery.Attempts} failed; it is tried again", null)
            : new DeliveryDecision("pending", "waiting to be processed", null);
    }
}
