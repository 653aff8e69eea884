using System.ComponentModel;
using System.Text.Json.Serialization;

namespace ClaudeHooks.Api;

// Only the OpenAPI document uses this type: the body is read by hand through a size cap (TaskSubmission.Parse), so that
// each field's error names the field and the fix. Its summary is the schema's description.

/// <summary>A coding task for one agent on one repository. Any other field is refused.</summary>
internal sealed record SubmitTaskRequest
{
    [JsonRequired, Description("The agent's name in agents.json, such as dev.")]
    public required string Agent { get; init; }

    [JsonRequired, Description("The repository's clone URL; the agent must be one its repositories entry allows.")]
    public required string Repo { get; init; }

    [JsonRequired, Description("What to do; at most service.max_prompt_bytes bytes (413 above that).")]
    public required string Prompt { get; init; }

    [Description("The ref to start from; the repository's default branch when left out.")]
    public string? BaseRef { get; init; }

    [Description("The conversation to continue (its session and branch); a new one per task when left out.")]
    public string? Thread { get; init; }

    [Description("A duration such as 30m or 1h, at most the agent's runner.timeout.")]
    public string? Timeout { get; init; }

    [Description("An image or stack name among images.selectable.")]
    public string? Image { get; init; }
}
