using System.ComponentModel;

namespace ClaudeHooks.Api;

/// <summary>A page of egress records in id order.</summary>
internal sealed record EgressPage(
    IReadOnlyList<EgressRecordView> Records,
    [property: Description("The after= of the next page; null once a page comes back short, and with latest=true.")] long? Next);
