using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using Docker.DotNet;

namespace ClaudeHooks.Api;

/// <summary><c>GET /api/health</c>: engine, image, networks and each agent's container.</summary>
internal static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").MapGet("/health", GetHealthAsync).WithName("GetHealth");
        return app;
    }

    private static async Task<IResult> GetHealthAsync(DockerClient docker, AgentsConfig config, CancellationToken cancellationToken)
    {
        var status = await new EngineHealth(docker, config).CheckAsync(cancellationToken);
        var ok = status.SocketConnected && status.ImageAvailable && status.NetworkExists && status.Agents.All(a => a.State == "running");
        var body = new HealthResponse(
            ok,
            "docker",
            new DockerHealth(status.SocketConnected, status.ImageAvailable, status.ImageName, status.NetworkExists),
            status.Agents.Select(a => new AgentHealth(a.Name, a.Role, a.Container, a.State, a.Health, a.Image, a.StartedAt)).ToList(),
            status.Problems);
        return ok ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    internal sealed record HealthResponse(bool Ok, string Mode, DockerHealth Docker, IReadOnlyList<AgentHealth> Agents, IReadOnlyList<string> Problems);

    internal sealed record DockerHealth(bool SocketConnected, bool ImageAvailable, string ImageName, bool NetworkExists);

    internal sealed record AgentHealth(string Name, string Role, string Container, string State, string Health, string Image, DateTime? StartedAt);
}
