using ClaudeHooks.Dashboard;
using Microsoft.AspNetCore.Http;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class DashboardPathsTests
{
    [Theory]
    [InlineData("/", true)]
    [InlineData("/ui", true)]
    [InlineData("/ui/tasks/t1", true)]
    [InlineData("/uix", false)]
    [InlineData("/task/t1", false)]
    [InlineData("/tasks", false)]
    [InlineData("/api/health", false)]
    [InlineData("/webhook/forgejo", false)]
    public void Contains_OnlyTheRootAndUi(string path, bool expected) =>
        Assert.Equal(expected, DashboardPaths.Contains(new PathString(path)));

    [Theory]
    [InlineData("/ui/tasks?state=failed", "/ui/tasks?state=failed")]
    [InlineData("/", "/")]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData("/task/t1", "/")]
    [InlineData("/ui/shared/task/t1?until=1&sig=x", "/")]
    [InlineData("javascript:alert(1)", "/")]
    [InlineData("/ui/\r\nSet-Cookie: x", "/")]
    [InlineData("/ui/\u2028", "/")]
    [InlineData("/ui/./shared/task/t1", "/")]
    [InlineData("/ui/%73hared/task/t1", "/")]
    [InlineData("/ui/tasks/../../task/t1", "/")]
    public void SafeReturn_OnlyADashboardPath(string? value, string expected) =>
        Assert.Equal(expected, DashboardPaths.SafeReturn(value));

    [Theory]
    [InlineData("acme/widgets", 7, "/ui/work/acme/widgets/7")]
    [InlineData("../../task/x", 10, "/ui/work/%2E%2E/%2E%2E/task/x/10")]
    [InlineData("a b/c?d", 1, "/ui/work/a%20b/c%3Fd/1")]
    public void WorkItem_EscapesEachSegment(string repo, long number, string expected) =>
        Assert.Equal(expected, DashboardPaths.WorkItem(repo, number));

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(-5L)]
    public void Duration_NoRunCouldTakeIt_IsADash(long milliseconds) => Assert.Equal("—", Format.Duration(milliseconds));
}
