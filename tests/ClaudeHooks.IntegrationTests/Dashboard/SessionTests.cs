using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>
/// Signing in and out of the dashboard in a real browser against the real service: the API token opens a session
/// cookie, a wrong one is refused, a closed session stays closed, a form of an earlier session changes nothing, and
/// unknown pages say so without leaking a stack trace.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class SessionTests(DockerFixture fixture, DashboardHost host) : IClassFixture<DashboardHost>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fixture.Model.Reset();
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task SignIn_WithTheApiToken_OpensTheOverviewWithTheThreeAgents()
    {
        host.SkipUnlessReady(fixture);
        var service = await host.ServiceAsync(fixture);
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await page.GotoAsync("/");
            Assert.Equal(ui.Url("/ui/signin?return=%2F"), page.Url);

            await page.Locator("#token").FillAsync(ui.Token);
            var overview = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in", Exact = true }).ClickAsync(),
                r => r.Url == ui.Url("/") && r.Request.Method == "GET");

            Assert.Equal(ui.Url("/"), page.Url);
            await Expect(page.Locator("main h1")).ToHaveTextAsync("Overview");
            foreach (var agent in new[] { "boss", "dev", "reviewer" })
            {
                await Expect(page.Locator($"tr[data-agent=\"{agent}\"]")).ToBeVisibleAsync();
                await Expect(page.Locator($"tr[data-agent=\"{agent}\"] th")).ToHaveTextAsync(agent);
            }

            await Expect(page.Locator("[data-live=\"/ui/live/overview\"]")).ToHaveCountAsync(1);
            await Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Running now" })).ToBeVisibleAsync();

            // The session cookie is out of the page's scripts' reach and never sent by another site.
            var cookie = Assert.Single(await ui.Context.CookiesAsync(), c => c.Name == "claude_hooks_session");
            Assert.True(cookie.HttpOnly, "the session cookie is not HttpOnly");
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

            // A strict policy: no inline script, no framing, no sniffing.
            var headers = await overview.AllHeadersAsync();
            var policy = headers.GetValueOrDefault("content-security-policy") ?? "";
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.Equal("nosniff", headers.GetValueOrDefault("x-content-type-options"));
            Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());

            // The live region is fetched again without a reload.
            var refreshed = await page.WaitForResponseAsync(r => r.Url == ui.Url("/ui/live/overview"), new PageWaitForResponseOptions { Timeout = 10_000 });
            Assert.Equal(200, refreshed.Status);
            Assert.Equal(ui.Url("/"), page.Url);
        });
    }

    [SkippableFact]
    public async Task SignIn_WithAWrongToken_IsRefusedWithTheMessage_AndOpensNoSession()
    {
        host.SkipUnlessReady(fixture);
        var service = await host.ServiceAsync(fixture);
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await page.GotoAsync("/ui/signin");
            await page.Locator("#token").FillAsync("not-the-token-" + ui.Token[..4]);

            var answer = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in", Exact = true }).ClickAsync(),
                r => r.Request.Method == "POST" && r.Url.StartsWith(ui.Url("/ui/signin"), StringComparison.Ordinal));

            Assert.Equal(401, answer.Status);
            await Expect(page.Locator("#token-error")).ToBeVisibleAsync();
            await Expect(page.Locator("#token-error")).ToContainTextAsync("not the API token");
            await Expect(page.Locator("#token")).ToHaveAttributeAsync("aria-invalid", "true");
            Assert.DoesNotContain(await ui.Context.CookiesAsync(), c => c.Name == "claude_hooks_session");

            await page.GotoAsync("/");
            Assert.Equal(ui.Url("/ui/signin?return=%2F"), page.Url);
        });
    }

    [SkippableFact]
    public async Task SignOut_EndsTheSession_AndTheOldCookieSetAgainOpensNothing()
    {
        host.SkipUnlessReady(fixture);
        var service = await host.ServiceAsync(fixture);
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await ui.SignInAsync(page);
            var old = Assert.Single(await ui.Context.CookiesAsync(), c => c.Name == "claude_hooks_session");

            await page.Locator("form.signout").GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Sign out" }).ClickAsync();
            await page.WaitForURLAsync(u => u.StartsWith(ui.Url("/ui/signin"), StringComparison.Ordinal));
            Assert.DoesNotContain(await ui.Context.CookiesAsync(), c => c.Name == "claude_hooks_session" && c.Value == old.Value);

            // Whoever kept the cookie's value gets nothing with it.
            await ui.Context.AddCookiesAsync([new Cookie
            {
                Name = old.Name, Value = old.Value, Domain = old.Domain, Path = old.Path, HttpOnly = true, SameSite = SameSiteAttribute.Strict,
            }]);
            Assert.Contains(await ui.Context.CookiesAsync(), c => c.Name == "claude_hooks_session" && c.Value == old.Value);
            await page.GotoAsync("/");
            Assert.Equal(ui.Url("/ui/signin?return=%2F"), page.Url);
            await page.GotoAsync("/ui/tasks");
            Assert.Equal(ui.Url("/ui/signin?return=%2Fui%2Ftasks"), page.Url);
            await Expect(page.Locator("form.signout")).ToHaveCountAsync(0);
        });
    }

    [SkippableFact]
    public async Task StaleForm_AfterSigningInAgainElsewhere_SaysTheFormExpired_AndCreatesNoTask()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await host.ServiceAsync(fixture);
        var repo = await ServiceCalls.NewRepositoryAsync(fixture, "stale");
        await host.RunAsync(fixture, service, async ui =>
        {
            var first = ui.Page;
            await ui.SignInAsync(first, "/ui/tasks");
            var form = first.Locator("form#submit-task");
            await form.Locator("select[name=agent]").SelectOptionAsync("dev");
            await form.Locator("[name=repo]").FillAsync(repo);
            await form.Locator("[name=prompt]").FillAsync("stale-form-marker: this must never be queued");
            var before = await ServiceCalls.ListTasksAsync(service, cts.Token);

            // A new session in another tab of the same browser: the first tab's form belongs to the old one.
            var second = await ui.Context.NewPageAsync();
            await second.GotoAsync("/");
            await second.Locator("form.signout").GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Sign out" }).ClickAsync();
            await second.WaitForURLAsync(u => u.StartsWith(ui.Url("/ui/signin"), StringComparison.Ordinal));
            await ui.SignInAsync(second);

            var answer = await first.RunAndWaitForResponseAsync(
                () => form.Locator("button#submit").ClickAsync(),
                r => r.Request.Method == "POST");

            Assert.Equal(400, answer.Status);
            await Expect(first.Locator("main h1")).ToHaveTextAsync("This form has expired");
            var after = await ServiceCalls.ListTasksAsync(service, cts.Token);
            Assert.Equal(before.Count, after.Count);
            Assert.DoesNotContain(after, t => t.GetRawText().Contains("stale-form-marker", StringComparison.Ordinal));

            // The new session itself is fine.
            await second.GotoAsync("/ui/tasks");
            await Expect(second.Locator("form#submit-task")).ToBeVisibleAsync();
        });
    }

    [SkippableTheory]
    [InlineData("/ui/tasks/t20200101000000-0123456789abcdef")]
    [InlineData("/ui/tasks/no-such-task")]
    [InlineData("/ui/work/it-owner/no-such-repo/424242")]
    [InlineData("/ui/no-such-page")]
    public async Task UnknownPage_ShowsNotFound_WithoutAStackTrace(string path)
    {
        host.SkipUnlessReady(fixture);
        var service = await host.ServiceAsync(fixture);
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await ui.SignInAsync(page);

            var response = await page.GotoAsync(path);

            Assert.Equal(404, response!.Status);
            await Expect(page.Locator("main h1")).ToHaveTextAsync("Not found");
            var html = await page.ContentAsync();
            var text = await page.Locator("body").InnerTextAsync();
            foreach (var trace in new[] { "Exception", "   at ", "ClaudeHooks." })
            {
                Assert.DoesNotContain(trace, html, StringComparison.Ordinal);
                Assert.DoesNotContain(trace, text, StringComparison.Ordinal);
            }
        });
    }
}
