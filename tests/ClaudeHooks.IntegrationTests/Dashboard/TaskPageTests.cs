using System.Text.RegularExpressions;
using ClaudeHooks.TestServers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>
/// A task's pages in a real browser, with real tasks run by the real CLI in sandboxes against the scripted model:
/// the transcript arrives live, Cancel and Retry act on the task, hostile text stays text, and a signed link opens
/// the task read-only until it expires.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed partial class TaskPageTests(DockerFixture fixture, DashboardHost host) : IClassFixture<DashboardHost>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private static readonly LocatorAssertionsToContainTextOptions Slow = new() { Timeout = 60_000 };

    private static readonly string[] Hostile = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[click](javascript:alert(1))"];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fixture.Model.Reset();
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task TaskPage_WhileTheTaskRuns_ShowsNewEventsLive_WithoutReloading()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await ServiceCalls.NewRepositoryAsync(fixture, "live");
        var held = new HeldTurn(ScriptedTurn.Text("Live answer: the greeting is in place."));
        fixture.Model.EnqueueFor("live-transcript-marker", held);
        var id = await ServiceCalls.SubmitAsync(service, new { agent = "dev", repo, prompt = "live-transcript-marker: add a greeting", thread = "issue-61" });
        await held.Reached.WaitAsync(cts.Token);
        try
        {
            await host.RunAsync(fixture, service, async ui =>
            {
                var page = ui.Page;
                await ui.SignInAsync(page, $"/ui/tasks/{id}");
                await Expect(page.Locator("#task-state")).ToHaveTextAsync("running");
                await Expect(page.Locator("#transcript-status")).ToHaveTextAsync("Live");
                await Expect(page.Locator("#transcript-list")).ToBeAttachedAsync();
                await Expect(page.Locator("#transcript-list")).Not.ToContainTextAsync("Live answer");
                var navigations = 0;
                page.FrameNavigated += (_, frame) =>
                {
                    if (frame == page.MainFrame)
                    {
                        Interlocked.Increment(ref navigations);
                    }
                };
                await page.EvaluateAsync("() => { window.stillTheSamePage = true; }");

                held.Release();

                var answer = page.Locator("#transcript-list > li[data-seq]").Filter(new LocatorFilterOptions { HasText = "Live answer: the greeting is in place." });
                await Expect(answer.First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
                await Expect(answer.First.Locator("pre")).ToContainTextAsync("Live answer: the greeting is in place.");
                await Expect(page.Locator("#transcript-status")).ToHaveTextAsync("Ended: succeeded", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 });
                await Expect(page.Locator("#task-state")).ToHaveTextAsync("succeeded", new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 });

                Assert.Equal(0, navigations);
                Assert.True(await page.EvaluateAsync<bool>("() => window.stillTheSamePage === true"), "the page was loaded again");
                var sequence = await page.Locator("#transcript-list > li[data-seq]").EvaluateAllAsync<long[]>("items => items.map(i => Number(i.dataset.seq))");
                Assert.Equal(sequence.Order(), sequence);
                Assert.Equal(sequence.Length, sequence.Distinct().Count());
            });
        }
        finally
        {
            held.Release();
        }

        Assert.Equal("succeeded", (await ServiceCalls.WaitForEndAsync(service, id, cts.Token)).GetProperty("state").GetString());
    }

    [SkippableFact]
    public async Task Cancel_OnARunningTask_EndsItCancelled()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await ServiceCalls.NewRepositoryAsync(fixture, "cancel");
        var held = new HeldTurn(ScriptedTurn.Text("This answer comes too late."));
        fixture.Model.EnqueueFor("cancel-page-marker", held);
        var id = await ServiceCalls.SubmitAsync(service, new { agent = "dev", repo, prompt = "cancel-page-marker: wait", thread = "issue-62" });
        await held.Reached.WaitAsync(cts.Token);
        try
        {
            await host.RunAsync(fixture, service, async ui =>
            {
                var page = ui.Page;
                await ui.SignInAsync(page, $"/ui/tasks/{id}");
                await Expect(page.Locator("#task-state")).ToHaveTextAsync("running");
                await Expect(page.Locator("#retry")).ToHaveCountAsync(0);

                await page.Locator("button#cancel").ClickAsync();

                await Expect(page.Locator("#task-state")).ToHaveTextAsync("cancelled", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 });
                var task = await ServiceCalls.WaitForEndAsync(service, id, cts.Token);
                Assert.Equal("cancelled", task.GetProperty("state").GetString());
                Assert.Contains(task.GetProperty("history").EnumerateArray(), h => h.GetProperty("to").GetString() == "cancelled");
                await Expect(page.Locator("button#cancel")).ToHaveCountAsync(0);
                await Expect(page.Locator("button#retry")).ToBeVisibleAsync();
            });
        }
        finally
        {
            held.Release();
        }
    }

    [SkippableFact]
    public async Task Retry_OnAnEndedTask_QueuesANewTaskWithTheSameRequest_AndOpensIt()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await ServiceCalls.NewRepositoryAsync(fixture, "retry");
        fixture.Model.EnqueueFor("retry-page-marker", ScriptedTurn.Text("First run."), ScriptedTurn.Text("Second run."));
        var prompt = "retry-page-marker: do it again\nwith a second line";
        var id = await ServiceCalls.SubmitAsync(service, new { agent = "dev", repo, prompt, thread = "issue-63" });
        Assert.Equal("succeeded", (await ServiceCalls.WaitForEndAsync(service, id, cts.Token)).GetProperty("state").GetString());
        var retried = "";
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await ui.SignInAsync(page, $"/ui/tasks/{id}");
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("succeeded");
            await Expect(page.Locator("button#cancel")).ToHaveCountAsync(0);

            await page.Locator("button#retry").ClickAsync();

            await page.WaitForURLAsync(u => TaskPath().IsMatch(new Uri(u).AbsolutePath) && !u.Contains(id, StringComparison.Ordinal));
            retried = TaskPath().Match(new Uri(page.Url).AbsolutePath).Groups["id"].Value;
            await Expect(page.Locator("main h1")).ToContainTextAsync(retried);
            var copy = await ServiceCalls.WaitForEndAsync(service, retried, cts.Token);
            Assert.Equal("dev", copy.GetProperty("agent").GetString());
            Assert.Equal(repo, copy.GetProperty("repo").GetString());
            Assert.Equal(prompt, copy.GetProperty("prompt").GetString());
            Assert.Equal("issue-63", copy.GetProperty("thread").GetString());
            Assert.Equal("succeeded", copy.GetProperty("state").GetString());
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("succeeded", new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 });
        });

        var tasks = await ServiceCalls.ListTasksAsync(service, cts.Token);
        Assert.Equal(2, tasks.Count(t => t.GetProperty("repo").GetString() == repo));
    }

    [SkippableFact]
    public async Task SubmitForm_ShowsTheApisMessageByField_AndAGoodRequestOpensTheNewTask()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await ServiceCalls.NewRepositoryAsync(fixture, "submit");
        fixture.Model.EnqueueFor("submit-form-marker", ScriptedTurn.Text("Submitted from the page."));
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await ui.SignInAsync(page, "/ui/tasks");
            var before = (await ServiceCalls.ListTasksAsync(service, cts.Token)).Count;
            var form = page.Locator("form#submit-task");
            await form.Locator("select[name=agent]").SelectOptionAsync("dev");
            await form.Locator("[name=repo]").FillAsync("--upload-pack=touch /tmp/x");
            await form.Locator("[name=prompt]").FillAsync("submit-form-marker: first try");
            await form.Locator("[name=timeout]").FillAsync("soon");

            var refused = await page.RunAndWaitForResponseAsync(() => page.Locator("button#submit").ClickAsync(), r => r.Request.Method == "POST");

            Assert.Equal(400, refused.Status);
            await Expect(page.Locator(".field-error[data-field=\"repo\"]")).ToContainTextAsync("starts with '-'");
            await Expect(page.Locator(".field-error[data-field=\"timeout\"]")).ToContainTextAsync("not a duration");
            await Expect(page.Locator("form#submit-task [name=prompt]")).ToHaveValueAsync("submit-form-marker: first try");
            Assert.Equal(before, (await ServiceCalls.ListTasksAsync(service, cts.Token)).Count);

            form = page.Locator("form#submit-task");
            await form.Locator("[name=repo]").FillAsync(repo);
            await form.Locator("[name=timeout]").FillAsync("");
            await form.Locator("[name=thread]").FillAsync("issue-64");
            await page.Locator("button#submit").ClickAsync();

            await page.WaitForURLAsync(u => TaskPath().IsMatch(new Uri(u).AbsolutePath));
            var id = TaskPath().Match(new Uri(page.Url).AbsolutePath).Groups["id"].Value;
            var task = await ServiceCalls.WaitForEndAsync(service, id, cts.Token);
            Assert.Equal(repo, task.GetProperty("repo").GetString());
            Assert.Equal("issue-64", task.GetProperty("thread").GetString());
            Assert.Equal("submit-form-marker: first try", task.GetProperty("prompt").GetString());
            Assert.Equal(before + 1, (await ServiceCalls.ListTasksAsync(service, cts.Token)).Count);
        });
    }

    [SkippableFact]
    public async Task HostileTextInThePromptToolOutputAndAnswer_IsShownAsText_AndRunsNothing()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await ServiceCalls.NewRepositoryAsync(fixture, "hostile");
        var quoted = string.Join(' ', Hostile.Select(h => $"'{h}'"));
        fixture.Model.EnqueueFor("hostile-text-marker",
            ScriptedTurn.Bash($"printf '%s\\n' {quoted}"),
            ScriptedTurn.Text("Printed: " + string.Join(' ', Hostile)));
        var id = await ServiceCalls.SubmitAsync(service, new { agent = "dev", repo, prompt = "hostile-text-marker " + string.Join(' ', Hostile), thread = "issue-65" });
        Assert.Equal("succeeded", (await ServiceCalls.WaitForEndAsync(service, id, cts.Token)).GetProperty("state").GetString());
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await ui.SignInAsync(page, $"/ui/tasks/{id}");
            await Expect(page.Locator("#transcript-status")).ToHaveTextAsync("Ended: succeeded", new LocatorAssertionsToHaveTextOptions { Timeout = 30_000 });
            foreach (var text in Hostile)
            {
                await Expect(page.Locator("#task-prompt")).ToContainTextAsync(text);
                await Expect(page.Locator("#transcript-list")).ToContainTextAsync(text, Slow);
            }

            // The tool's output and the final answer both carry it: at least two entries.
            var entries = page.Locator("#transcript-list > li[data-seq]").Filter(new LocatorFilterOptions { HasText = Hostile[1] });
            Assert.True(await entries.CountAsync() >= 2, $"the payload is in {await entries.CountAsync()} transcript entries, expected the tool output and the answer");
            await AssertInertAsync(page);

            foreach (var path in new[] { "/", "/ui/tasks" })
            {
                await page.GotoAsync(path);
                await Expect(page.Locator($"tr[data-task=\"{id}\"]")).ToContainTextAsync(Hostile[1]);
                await AssertInertAsync(page);
            }

            // Anything deferred had its chance to run.
            await page.WaitForTimeoutAsync(2500);
        });
    }

    [SkippableFact]
    public async Task SignedLink_OpensTheTaskReadOnlyWithoutTheToken_ThenExpires_AndAnAlteredOneIsRefused()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var service = await ServiceAsync();
        var repo = await ServiceCalls.NewRepositoryAsync(fixture, "shared");
        fixture.Model.EnqueueFor("shared-link-marker", ScriptedTurn.Text("Shared answer for the reader."));
        var id = await ServiceCalls.SubmitAsync(service, new { agent = "dev", repo, prompt = "shared-link-marker: say something", thread = "issue-66" });
        Assert.Equal("succeeded", (await ServiceCalls.WaitForEndAsync(service, id, cts.Token)).GetProperty("state").GetString());
        await host.RunAsync(fixture, service, async ui =>
        {
            // What an operator sees of the same task: the Retry a reader must not get.
            await ui.SignInAsync(ui.Page, $"/ui/tasks/{id}");
            await Expect(ui.Page.Locator("button#retry")).ToBeVisibleAsync();

            var reader = await (await ui.NewContextAsync()).NewPageAsync();
            var longLink = await ServiceCalls.LinkAsync(service, id, ttl: null, cts.Token);
            var path = longLink.GetProperty("path").GetString()!;
            Assert.StartsWith($"/ui/shared/task/{id}?", path, StringComparison.Ordinal);
            Assert.Equal(ui.Url(path), longLink.GetProperty("url").GetString());
            var opened = await reader.GotoAsync(path);
            Assert.Equal(200, opened!.Status);
            Assert.Equal(ui.Url(path), reader.Url);
            await Expect(reader.Locator("#task-state")).ToHaveTextAsync("succeeded");
            await Expect(reader.Locator("#transcript-list")).ToContainTextAsync("Shared answer for the reader.", Slow);
            await Expect(reader.Locator("#cancel")).ToHaveCountAsync(0);
            await Expect(reader.Locator("#retry")).ToHaveCountAsync(0);
            await Expect(reader.Locator("header nav")).ToHaveCountAsync(0);
            await Expect(reader.Locator("form.signout")).ToHaveCountAsync(0);
            await Expect(reader.Locator("form[method=post]")).ToHaveCountAsync(0);
            Assert.DoesNotContain(await reader.Context.CookiesAsync(), c => c.Name == "claude_hooks_session");

            // The link opens nothing else: not the operator's pages, not another task.
            await reader.GotoAsync("/ui/tasks");
            Assert.StartsWith(ui.Url("/ui/signin"), reader.Url, StringComparison.Ordinal);
            var other = await reader.GotoAsync(path.Replace(id, "t20200101000000-0123456789abcdef", StringComparison.Ordinal));
            Assert.Equal(403, other!.Status);
            await Expect(reader.Locator("main h1")).ToHaveTextAsync("Link not valid");

            var sig = Regex.Match(path, "sig=([^&]+)").Groups[1].Value;
            var altered = path.Replace("sig=" + sig, "sig=" + (sig[0] == 'A' ? 'B' : 'A') + sig[1..], StringComparison.Ordinal);
            var refused = await reader.GotoAsync(altered);
            Assert.Equal(403, refused!.Status);
            await Expect(reader.Locator("main h1")).ToHaveTextAsync("Link not valid");
            await Expect(reader.Locator("#task-state")).ToHaveCountAsync(0);

            // A short link works at once and not after its time.
            var shortLink = await ServiceCalls.LinkAsync(service, id, "3s", cts.Token);
            var shortPath = shortLink.GetProperty("path").GetString()!;
            var early = await reader.GotoAsync(shortPath);
            Assert.Equal(200, early!.Status);
            await Expect(reader.Locator("#task-state")).ToHaveTextAsync("succeeded");
            var expires = shortLink.GetProperty("expires_at").GetDateTimeOffset();
            Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(4));
            await Task.Delay(expires - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5), cts.Token);
            var late = await reader.GotoAsync(shortPath);
            Assert.Equal(410, late!.Status);
            await Expect(reader.Locator("main h1")).ToHaveTextAsync("Link expired");
            await Expect(reader.Locator("#task-state")).ToHaveCountAsync(0);
            await Expect(reader.Locator("#transcript-list")).ToHaveCountAsync(0);
        });
    }

    /// <summary>Nothing of the hostile text became markup: no script of its own, no image, no javascript: link, no handler.</summary>
    private static async Task AssertInertAsync(IPage page)
    {
        Assert.Equal(0, await page.Locator("a[href^=\"javascript:\" i]").CountAsync());
        Assert.Equal(0, await page.Locator("img[src=\"x\"]").CountAsync());
        Assert.Equal(0, await page.Locator("[onerror]").CountAsync());
        Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());
        var scripts = await page.Locator("script[src]").EvaluateAllAsync<string[]>("items => items.map(s => s.getAttribute('src'))");
        Assert.All(scripts, s => Assert.StartsWith("/ui/assets/", s, StringComparison.Ordinal));
    }

    /// <summary>The service, with an idle limit that lets a held model turn wait while the page is looked at.</summary>
    private Task<ServiceProcess> ServiceAsync() => host.ServiceAsync(fixture, config =>
    {
        config["agents"]!["dev"]!["runner"]!["idle_timeout"] = "1m";
        return Task.CompletedTask;
    });

    [GeneratedRegex("^/ui/tasks/(?<id>t[0-9]{14}-[0-9a-f]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex TaskPath();
}
