using System.Net;

namespace ClaudeHooks.Forge;

/// <summary>
/// A forge call that did not succeed. <see cref="OutcomeUnknown"/> tells a write the forge refused (nothing changed,
/// it can be sent again as it is) from one whose answer was lost (a 5xx, a timeout, a connection dropped after the
/// request went out): that one may have been applied, so the forge's state must be read before it is sent again.
/// </summary>
internal sealed class ForgeApiException(string message, HttpStatusCode? status = null, bool outcomeUnknown = false, DateTimeOffset? retryAt = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;

    /// <summary>True only for a write (POST, PATCH, PUT, DELETE) that may have been applied; never for a read.</summary>
    public bool OutcomeUnknown { get; } = outcomeUnknown;

    /// <summary>When the forge (its <c>Retry-After</c>) asked to be called again, if it did.</summary>
    public DateTimeOffset? RetryAt { get; } = retryAt;
}
