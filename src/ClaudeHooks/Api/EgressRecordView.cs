using System.Text.Json.Serialization;

namespace ClaudeHooks.Api;

/// <summary>One request a sandbox sent out through the gateway, as the egress API shows it.</summary>
// The two-word names are pinned: the CLI reads them, whatever naming policy a host of this module configures.
internal sealed record EgressRecordView(long Id, DateTimeOffset Time, string? Task, string Agent, string Route, string Host, string Method, string Path,
    int Status, [property: JsonPropertyName("bytes_in")] long BytesIn, [property: JsonPropertyName("bytes_out")] long BytesOut, [property: JsonPropertyName("duration_ms")] long DurationMs,
    string Decision, string Rule);
