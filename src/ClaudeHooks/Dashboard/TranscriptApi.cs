namespace ClaudeHooks.Dashboard;

/// <summary>A task's transcript for people: pages of rendered entries, and a live stream of them.</summary>
internal static class TranscriptApi
{
    public static IEndpointRouteBuilder MapTranscript(this IEndpointRouteBuilder app) => app;
}
