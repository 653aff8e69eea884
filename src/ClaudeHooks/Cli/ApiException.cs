using System.Net;

namespace ClaudeHooks.Cli;

/// <summary>A call the service refused (with its status) or that reached no service (no status).</summary>
internal sealed class ApiException(string message, HttpStatusCode? status = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;

    /// <summary>The exit code a refused call ends the verb with.</summary>
    public int ExitCode => Status switch
    {
        null => ExitCodes.ServiceUnreachable,
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.CredentialProblem,
        HttpStatusCode.NotFound => ExitCodes.NotFound,
        HttpStatusCode.Conflict => ExitCodes.Conflict,
        HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnprocessableEntity => ExitCodes.InvalidInput,
        HttpStatusCode.ServiceUnavailable => ExitCodes.ServiceUnavailable,
        _ => ExitCodes.ServiceFailed,
    };
}
