using ClaudeHooks.Security;

namespace ClaudeHooks.Forge.GitHub;

/// <summary>GitHub's REST API (github.com or GitHub Enterprise Server) behind the forge seam.</summary>
internal sealed class GitHubClient(HttpClient http, Uri apiUrl, Func<CancellationToken, ValueTask<ForgeCredential>> credential, SecretRedactor? redactor = null) : IForgeClient
{
    private Exception Missing() => new NotImplementedException($"{http}{apiUrl}{credential}{redactor}");

    public Task<ForgeUser> GetCurrentUserAsync(CancellationToken cancellationToken) => throw Missing();

    public Task<string> GetDefaultBranchAsync(string repo, CancellationToken cancellationToken) => throw Missing();

    public Task<string> GetPermissionAsync(string repo, string user, CancellationToken cancellationToken) => throw Missing();

    public Task<ForgeIssue> GetIssueAsync(string repo, long number, CancellationToken cancellationToken) => throw Missing();

    public Task<IReadOnlyList<ForgeIssue>> ListOpenIssuesAsync(string repo, CancellationToken cancellationToken) => throw Missing();

    public Task<IReadOnlyList<ForgeComment>> ListCommentsAsync(string repo, long number, CancellationToken cancellationToken) => throw Missing();

    public Task<ForgeComment> CreateCommentAsync(string repo, long number, string body, CancellationToken cancellationToken) => throw Missing();

    public Task EditCommentAsync(string repo, long commentId, string body, CancellationToken cancellationToken) => throw Missing();

    public Task<ForgePull> CreateOrGetPullAsync(string repo, string head, string @base, string title, string body, CancellationToken cancellationToken) => throw Missing();

    public Task<ForgePull?> FindPullAsync(string repo, string head, string @base, CancellationToken cancellationToken) => throw Missing();

    public Task<ForgePull> GetPullAsync(string repo, long number, CancellationToken cancellationToken) => throw Missing();

    public Task<IReadOnlyList<ForgePull>> ListOpenPullsAsync(string repo, CancellationToken cancellationToken) => throw Missing();

    public Task RequestReviewAsync(string repo, long number, string reviewer, CancellationToken cancellationToken) => throw Missing();

    public Task<IReadOnlyList<ForgeReview>> ListReviewsAsync(string repo, long number, CancellationToken cancellationToken) => throw Missing();

    public Task<IReadOnlyList<ForgeReviewComment>> GetReviewCommentsAsync(string repo, long number, long reviewId, CancellationToken cancellationToken) => throw Missing();

    public Task<ForgeReview> CreateReviewAsync(string repo, long number, ReviewSubmission review, CancellationToken cancellationToken) => throw Missing();

    public Task<bool> DeleteBranchAsync(string repo, string branch, CancellationToken cancellationToken) => throw Missing();

    public Task<MergeResult> MergeAsync(string repo, long number, string style, string headSha, bool deleteBranch, CancellationToken cancellationToken) => throw Missing();

    public Task<IReadOnlyList<ForgeTimelineEntry>> ListTimelineAsync(string repo, long number, CancellationToken cancellationToken) => throw Missing();
}
