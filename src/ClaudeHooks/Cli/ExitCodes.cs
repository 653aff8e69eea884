namespace ClaudeHooks.Cli;

/// <summary>Process exit codes, the same for every verb; README's Commands section has the table.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int CheckFailed = 1;
    public const int InvalidConfig = 2;
    public const int EngineUnavailable = 3;
    public const int OperationFailed = 4;

    /// <summary>A credential file is missing or unreadable, or the service refused the API token (401, 403).</summary>
    public const int CredentialProblem = 5;

    /// <summary>The command line: an unknown verb or option, a missing argument, a malformed value (<c>--url</c>, <c>--urls</c>).</summary>
    public const int Usage = 6;

    /// <summary>The service has no such task or resource (404).</summary>
    public const int NotFound = 7;

    /// <summary>The service refused the request in the task's current state (409), such as cancelling an ended task.</summary>
    public const int Conflict = 8;

    /// <summary>The service refused a field of the request (400, 413, 422).</summary>
    public const int InvalidInput = 9;

    /// <summary>The service answered that it cannot serve now (503).</summary>
    public const int ServiceUnavailable = 10;

    /// <summary>Nothing answered at the service's URL (connection refused, unknown host, timed out).</summary>
    public const int ServiceUnreachable = 11;

    /// <summary>The service failed the request in another way (a 5xx other than 503, an answer that is not the API's).</summary>
    public const int ServiceFailed = 12;

    /// <summary><c>serve</c> cannot listen on <c>--urls</c>: the address is in use or not this machine's.</summary>
    public const int CannotListen = 13;

    /// <summary>An error nothing expected: a bug to report.</summary>
    public const int Unexpected = 70;

    /// <summary>Stopped by Ctrl+C or SIGTERM before it finished (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
