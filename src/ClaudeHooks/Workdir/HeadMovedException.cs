namespace ClaudeHooks.Workdir;

/// <summary>
/// The commit a task was pinned to (a review: its pull request's head when the review was asked for) is no longer
/// what its ref points at: the task does not run on anything else.
/// </summary>
internal sealed class HeadMovedException(string reference, string expected, string actual)
    : Exception($"{HeadMoved}: {reference} was {Short(expected)} when the task was queued and is {Short(actual)} now; nothing was run on it")
{
    /// <summary>Begins the reason of a task stopped this way.</summary>
    public const string HeadMoved = "the head moved";

    public string Actual { get; } = actual;

    private static string Short(string sha) => sha[..Math.Min(8, sha.Length)];
}
