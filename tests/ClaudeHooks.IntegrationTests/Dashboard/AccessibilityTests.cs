using System.Globalization;
using System.Text;
using ClaudeHooks.TestServers;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>
/// axe-core over every page of the dashboard as it looks with real data in it: a forge work item, its task with a
/// transcript, the egress log and the webhook deliveries it caused. No serious or critical violation anywhere.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class AccessibilityTests(DockerFixture fixture, DashboardHost host) : IClassFixture<DashboardHost>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fixture.Model.Reset();
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task EveryPage_HasNoSeriousOrCriticalAxeViolation()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var setup = await DashboardForge.StartAsync(fixture, host);
        var (forge, service) = (setup.Forge, setup.Service);
        var issue = forge.CreateIssue("Tidy the readme", "Please look at README.md.", "alice");
        fixture.Model.EnqueueFor("is assigned to you",
            ScriptedTurn.Bash("cat README.md && echo '<b>not bold</b>'"),
            ScriptedTurn.Text("The readme is tidy already; nothing to change."));
        await setup.AssignToDevAsync(issue, cts.Token);
        var task = await ServiceCalls.WaitForTaskAsync(service, t => t.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed_out", cts.Token);
        Assert.Equal("succeeded", task.GetProperty("state").GetString());
        var id = task.GetProperty("id").GetString()!;
        var link = (await ServiceCalls.LinkAsync(service, id, ttl: null, cts.Token)).GetProperty("path").GetString()!;

        await host.RunAsync(fixture, service, async ui =>
        {
            var report = new StringBuilder();
            var page = ui.Page;

            await page.GotoAsync("/ui/signin");
            await ScanAsync(page, "sign-in", report);
            await page.Locator("#token").FillAsync("not-the-token");
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in", Exact = true }).ClickAsync();
            await Expect(page.Locator("#token-error")).ToBeVisibleAsync();
            await ScanAsync(page, "sign-in with a wrong token", report);

            await ui.SignInAsync(page);
            var pages = new (string Name, string Path, string Ready)[]
            {
                ("overview", "/", "tr[data-agent=\"dev\"]"),
                ("tasks", "/ui/tasks", $"tr[data-task=\"{id}\"]"),
                ("task with a transcript", $"/ui/tasks/{id}", "#transcript-list > li[data-seq]"),
                ("work items", "/ui/work", $"a[href=\"/ui/work/{forge.FullName}/{issue}\"]"),
                ("work item", $"/ui/work/{forge.FullName}/{issue}", "ol.chain > li[data-step]"),
                ("gateway", "/ui/gateway", "form.filters"),
                ("deliveries", "/ui/deliveries", "[id^=\"delivery-\"]"),
                ("charts", "/ui/charts", "figure.chart svg[role=img]"),
                ("not found", "/ui/tasks/no-such-task", "main h1"),
            };
            foreach (var (name, path, ready) in pages)
            {
                await page.GotoAsync(path);
                await ReadyAsync(page, name, ready, report);
                await ScanAsync(page, name, report);
            }

            var reader = await (await ui.NewContextAsync()).NewPageAsync();
            await reader.GotoAsync(link);
            await ReadyAsync(reader, "read-only task", "#transcript-list > li[data-seq]", report);
            await ScanAsync(reader, "read-only task", report);

            // The scanner runs under the pages' strict policy and sees what it should: an image without text is critical.
            await page.EvaluateAsync("() => { const img = document.createElement('img'); img.src = '/ui/assets/dashboard.css'; document.querySelector('main').append(img); }");
            var control = await page.RunAxe();
            Assert.Contains(control.Violations, v => v.Id == "image-alt" && v.Impact == "critical");

            Assert.True(report.Length == 0, "accessibility problems:\n" + report);
        });
    }

    /// <summary>Waits until the page shows what it is for, so the scan sees it; a page that never does is reported.</summary>
    private static async Task ReadyAsync(IPage page, string name, string selector, StringBuilder report)
    {
        try
        {
            await page.Locator(selector).First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 15_000 });
        }
        catch (Exception e) when (e is PlaywrightException or System.TimeoutException)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"{name} ({page.Url}): never showed {selector}; scanned as it was");
        }
    }

    private static async Task ScanAsync(IPage page, string name, StringBuilder report)
    {
        var result = await page.RunAxe();
        foreach (var violation in result.Violations.Where(v => v.Impact is "serious" or "critical"))
        {
            var targets = string.Join("; ", violation.Nodes.Select(n => n.Target?.ToString()));
            report.AppendLine(CultureInfo.InvariantCulture, $"{name} ({page.Url}): {violation.Id} [{violation.Impact}] {violation.Help} at {targets}");
        }
    }
}
