using System.ComponentModel;

namespace ClaudeHooks.Api;

// Only the OpenAPI document uses this type; TaskApi.LinkTtl reads the body by hand for its messages.

/// <summary>An optional body: how long the link stays valid.</summary>
internal sealed record TaskLinkRequest([property: Description("How long the link is valid: 1s to 90d, such as 1h; default service.link_ttl.")] string? Ttl);
