namespace ClaudeHooks.Cli;

/// <summary>Process exit codes, the same for every verb.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int CheckFailed = 1;
    public const int InvalidConfig = 2;
    public const int EngineUnavailable = 3;
    public const int OperationFailed = 4;
    public const int CredentialProblem = 5;
}
