using ClaudeHooks.TestServers;

namespace ClaudeHooks.Tests.Forge;

/// <summary>The checker that holds the fake forges' requests against Forgejo's own Swagger document finds what it must, naming the operation and the field.</summary>
public sealed class ForgejoContractTests
{
    private static readonly Dictionary<string, string> NoQuery = [];

    private static IReadOnlyList<string> Check(string method, string path, string body = "", Dictionary<string, string>? query = null) =>
        ForgejoContract.Forgejo.Check(method, path, query ?? NoQuery, body);

    [Fact]
    public void Document_IsForgejosWholeApi() => Assert.True(ForgejoContract.Forgejo.Operations > 300, $"{ForgejoContract.Forgejo.Operations} operations");

    [Theory]
    [InlineData("POST", "/api/v1/repos/o/r/issues/5/comments", """{"body":"hi"}""")]
    [InlineData("PATCH", "/api/v1/repos/o/r/issues/comments/77", """{"body":"edited"}""")]
    [InlineData("POST", "/api/v1/repos/o/r/pulls/3/merge", """{"Do":"squash","head_commit_id":"abc","delete_branch_after_merge":true}""")]
    [InlineData("POST", "/api/v1/repos/o/r/pulls/3/merge", """{"do":"merge","merge_message_field":null}""")]
    [InlineData("POST", "/api/v1/repos/o/r/pulls/3/reviews", """{"event":"REQUEST_CHANGES","body":"b","commit_id":"abc","comments":[{"path":"a.txt","body":"x","new_position":1}]}""")]
    [InlineData("GET", "/api/v1/repos/o/r/pulls/main/dev%2Fissue-1", "")]
    [InlineData("DELETE", "/api/v1/repos/o/r/branches/dev%2Fissue-1", "")]
    [InlineData("GET", "/o/r.git/info/refs", "")]
    public void Request_AsForgejoTakesIt_KeepsTheContract(string method, string path, string body) => Assert.Empty(Check(method, path, body));

    [Fact]
    public void Query_TheOperationTakes_KeepsIt() =>
        Assert.Empty(Check("GET", "/api/v1/repos/o/r/issues", query: new() { ["state"] = "open", ["type"] = "issues", ["page"] = "2", ["limit"] = "50" }));

    [Fact]
    public void UnknownPath_IsNamed() =>
        Assert.Equal("GET /api/v1/repos/o/r/frobnicate/now: no path template of the Forgejo API matches it", Assert.Single(Check("GET", "/api/v1/repos/o/r/frobnicate/now")));

    [Fact]
    public void WrongMethod_NamesTheMethodsTheTemplateTakes()
    {
        var problem = Assert.Single(Check("PUT", "/api/v1/repos/o/r/pulls/3/merge", """{"Do":"merge"}"""));

        Assert.Contains("/repos/{owner}/{repo}/pulls/{index}/merge takes", problem, StringComparison.Ordinal);
        Assert.Contains("not PUT", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MergeWithoutDo_NamesTheOperationAndTheRequiredField()
    {
        var problem = Assert.Single(Check("POST", "/api/v1/repos/o/r/pulls/3/merge", """{"head_commit_id":"abc"}"""));

        Assert.StartsWith("repoMergePullRequest (POST /repos/{owner}/{repo}/pulls/{index}/merge): body field /:", problem, StringComparison.Ordinal);
        Assert.Contains("Do", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MergeStyleForgejoDoesNotKnow_NamesTheField() =>
        Assert.Contains(Check("POST", "/api/v1/repos/o/r/pulls/3/merge", """{"Do":"octopus"}"""), p => p.Contains("body field /Do", StringComparison.Ordinal) && p.Contains("enum", StringComparison.Ordinal));

    [Fact]
    public void FieldForgejoWouldIgnore_IsAMismatch() =>
        Assert.Contains(Check("POST", "/api/v1/repos/o/r/pulls/3/merge", """{"Do":"merge","delete_branch":true}"""), p => p.Contains("delete_branch", StringComparison.Ordinal));

    [Fact]
    public void WrongTypeDeepInTheBody_NamesItsPointer() =>
        Assert.Contains(Check("POST", "/api/v1/repos/o/r/pulls/3/reviews", """{"event":"COMMENT","comments":[{"path":"a","body":"b","new_position":"one"}]}"""),
            p => p.StartsWith("repoCreatePullReview", StringComparison.Ordinal) && p.Contains("/comments/0/new_position", StringComparison.Ordinal));

    [Fact]
    public void NonIntegerPathParameter_IsNamed() =>
        Assert.Contains(Check("GET", "/api/v1/repos/o/r/issues/five/comments"), p => p.Contains("path parameter index", StringComparison.Ordinal));

    [Fact]
    public void QueryParameterTheOperationDoesNotTake_IsNamed() =>
        Assert.Contains(Check("GET", "/api/v1/repos/o/r/issues", query: new() { ["per_page"] = "100" }), p => p.Contains("query parameter per_page", StringComparison.Ordinal));

    [Fact]
    public void BodyOnAnOperationWithoutOne_IsNamed() =>
        Assert.Contains(Check("GET", "/api/v1/user", """{"x":1}"""), p => p.StartsWith("userGetCurrent", StringComparison.Ordinal) && p.Contains("takes no body", StringComparison.Ordinal));

    [Fact]
    public void BodyThatIsNotJson_IsNamed() =>
        Assert.Contains(Check("POST", "/api/v1/repos/o/r/issues/1/comments", "body=hi"), p => p.Contains("not JSON", StringComparison.Ordinal));
}
