namespace ClaudeHooks.TestServers;

/// <summary>The writes <see cref="FakeForgejo"/> can be told to fail, one kind per endpoint.</summary>
public enum ForgeWriteKind
{
    /// <summary><c>POST /repos/{o}/{r}/issues/{n}/comments</c>.</summary>
    Comment,

    /// <summary><c>PATCH /repos/{o}/{r}/issues/comments/{id}</c>.</summary>
    EditComment,

    /// <summary><c>PATCH /repos/{o}/{r}/issues/{n}</c>.</summary>
    EditIssue,

    /// <summary><c>POST /repos/{o}/{r}/pulls</c>.</summary>
    Pull,

    /// <summary><c>POST /repos/{o}/{r}/pulls/{n}/requested_reviewers</c>.</summary>
    ReviewRequest,

    /// <summary><c>POST /repos/{o}/{r}/pulls/{n}/reviews</c>.</summary>
    Review,

    /// <summary><c>POST /repos/{o}/{r}/pulls/{n}/merge</c>.</summary>
    Merge,

    /// <summary><c>DELETE /repos/{o}/{r}/branches/{branch}</c>.</summary>
    DeleteBranch,
}
