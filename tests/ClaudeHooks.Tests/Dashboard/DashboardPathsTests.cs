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
    public void SafeReturn_OnlyADashboardPath(string? value, string expected) =>
        Assert.Equal(expected, DashboardPaths.SafeReturn(value));
}
