using ClaudeHooks.Forge;
using ClaudeHooks.Security;

namespace ClaudeHooks.Dashboard;

/// <summary>One webhook delivery as the deliveries page lists it; every text is redacted.</summary>
public sealed record DeliveryRow(
    string Id,
    string Event,
    string? Action,
    string Repo,
    DateTimeOffset ReceivedAt,
    int Attempts,
    DeliveryDecision Decision,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeadAt)
{
    /// <summary>The page that shows only this delivery.</summary>
    public string Href => Link(Id);

    /// <summary>The id of the delivery's row, the target of links to it.</summary>
    public string Anchor => $"delivery-{Id}";

    public static string Link(string id) => $"{DeliveriesView.Path}?id={Uri.EscapeDataString(id)}";

    internal static DeliveryRow From(DeliveryRecord delivery, SecretRedactor redactor)
    {
        string Redact(string text) => redactor.Redact(text).Text;
        return new DeliveryRow(
            Redact(delivery.DeliveryId), Redact(delivery.EventType), delivery.Action is null ? null : Redact(delivery.Action), Redact(delivery.Repo),
            delivery.ReceivedAt, delivery.Attempts, DeliveryDecision.Of(delivery, Redact),
            delivery.LastError is null ? null : Redact(delivery.LastError), delivery.NextAttemptAt, delivery.DeadAt);
    }
}
