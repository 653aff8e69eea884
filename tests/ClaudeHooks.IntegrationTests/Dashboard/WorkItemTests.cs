using System.Text.RegularExpressions;
using ClaudeHooks.TestServers;
using static Microsoft.Playwright.Assertions;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>
/// The whole forge flow (assign → implement → pull request → changes asked → fix → approval → merge), five real tasks
/// driven by signed webhooks from the fake Forgejo, as the work item page and the tracking comment's link show it.
/// The most expensive dashboard test, so it is one.
/// </summary>
[Collection(DockerCollection.Name)]
public sealed class WorkItemTests(DockerFixture fixture, DashboardHost host) : IClassFixture<DashboardHost>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        fixture.Model.Reset();
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task WorkItem_AfterTheWholeFlow_ShowsEveryStepWithCostsAndLinks_AndTheTrackingLinkOpensTheTaskSignedOut()
    {
        host.SkipUnlessReady(fixture);
        using var cts = new CancellationTokenSource(Timeout);
        var setup = await DashboardForge.StartAsync(fixture, host);
        var (forge, service) = (setup.Forge, setup.Service);
        var issue = forge.CreateIssue("Add a greeting", "Please add greeting.txt.", "alice");
        var pr = issue + 1;
        fixture.Model.EnqueueFor("is assigned to you",
            ScriptedTurn.Bash("echo hello > greeting.txt && git add greeting.txt && git commit -qm 'Add greeting' && echo ok"),
            ScriptedTurn.Text("Added greeting.txt."));
        fixture.Model.EnqueueFor("Review pull request",
            ScriptedTurn.Text("Needs a test.\n```json\n{\"verdict\":\"request_changes\",\"body\":\"Please add a test.\",\"comments\":[{\"path\":\"greeting.txt\",\"line\":1,\"body\":\"untested\"}]}\n```"),
            ScriptedTurn.Text("Good now.\n```json\n{\"verdict\":\"approve\",\"body\":\"Looks good.\"}\n```"));
        fixture.Model.EnqueueFor("asked for changes",
            ScriptedTurn.Bash("echo check > greeting.test && git add greeting.test && git commit -qm 'Add a test' && echo ok"),
            ScriptedTurn.Text("Added a test for the greeting."));

        await setup.AssignToDevAsync(issue, cts.Token);
        var tasks = await ServiceCalls.WaitForAsync(async () =>
        {
            var list = await ServiceCalls.ListTasksAsync(service, cts.Token);
            return list.Count(t => t.GetProperty("state").GetString() == "succeeded") >= 5 || list.Any(t => t.GetProperty("state").GetString() is "failed" or "cancelled" or "timed_out") ? list : null;
        }, cts.Token);
        var ordered = tasks.OrderBy(t => t.GetProperty("created_at").GetDateTimeOffset()).ToList();
        Assert.True(ordered.All(t => t.GetProperty("state").GetString() == "succeeded"), $"the flow did not succeed: {string.Join(", ", ordered.Select(t => $"{t.GetProperty("agent")} {t.GetProperty("state")}"))}");
        Assert.Equal(["dev", "reviewer", "dev", "reviewer", "boss"], ordered.Select(t => t.GetProperty("agent").GetString()));
        var ids = ordered.Select(t => t.GetProperty("id").GetString()!).ToList();

        // The implementation's tracking comment on the issue, with its "Follow along" link; its final edit is there once the merge is.
        await ServiceCalls.WaitForAsync(async () => forge.CommentsOn(issue).Any(c => c.Body.Contains($"<!-- claude-hooks:track:{ids[0]} -->", StringComparison.Ordinal) && c.Body.Contains("✅", StringComparison.Ordinal)) ? "" : null, cts.Token);
        var tracking = forge.CommentsOn(issue).Single(c => c.Body.Contains($"<!-- claude-hooks:track:{ids[0]} -->", StringComparison.Ordinal)).Body;
        var follow = Regex.Match(tracking, $@"\({Regex.Escape(DashboardForge.PublicUrl)}(?<path>/ui/shared/task/{ids[0]}\?[^)\s]+)\)");
        Assert.True(follow.Success, $"no read-only link to task {ids[0]} in the tracking comment:\n{tracking}");

        var item = $"/ui/work/{forge.FullName}/{issue}";
        await host.RunAsync(fixture, service, async ui =>
        {
            var page = ui.Page;
            await ui.SignInAsync(page, "/ui/work");
            var listed = page.Locator($"a[href=\"{item}\"]");
            await Expect(listed).ToHaveCountAsync(1);
            await listed.ClickAsync();
            await page.WaitForURLAsync(ui.Url(item));

            var steps = page.Locator("ol.chain > li[data-step]");
            var kinds = await steps.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.step)");
            var shown = string.Join(" → ", kinds);
            Assert.Equal("issue", kinds[0]);
            Assert.Equal(2, kinds.Count(k => k == "review"));
            Assert.Equal(1, kinds.Count(k => k == "implement"));
            Assert.Equal(1, kinds.Count(k => k == "fix"));
            Assert.Equal("merge", kinds[^1]);
            string[] order = ["issue", "implement", "pull", "review", "fix", "merge"];
            var first = order.Select(k => Array.IndexOf(kinds, k)).ToArray();
            Assert.True(first.All(i => i >= 0) && first.Zip(first.Skip(1)).All(p => p.First < p.Second), $"the chain is {shown}, expected the order {string.Join(" → ", order)}");
            Assert.True(Array.LastIndexOf(kinds, "review") > Array.IndexOf(kinds, "fix"), $"the approval is not after the fix: {shown}");

            // Every step of a task: its state, cost and run time; and the page for that task.
            foreach (var (kind, id) in new[] { ("implement", ids[0]), ("review", ids[1]), ("fix", ids[2]), ("review", ids[3]), ("merge", ids[4]) })
            {
                var step = page.Locator($"ol.chain > li[data-step=\"{kind}\"][data-task=\"{id}\"]");
                await Expect(step).ToHaveCountAsync(1);
                await Expect(step.Locator(".state")).ToHaveTextAsync("succeeded");
                await Expect(step.Locator(".cost")).ToHaveTextAsync(new Regex(@"^\$\d+\.\d+$"));
                await Expect(step.Locator(".duration")).ToHaveTextAsync(new Regex(@"^\d+(\.\d+)? (ms|s)$|^\d+ min \d+ s$"));
            }

            // The forge's pages of the issue, the pull request, the reviews and the merge.
            await Expect(page.Locator("ol.chain > li[data-step=\"issue\"] a.forge-link")).ToHaveAttributeAsync("href", new Regex($@"/{Regex.Escape(forge.FullName)}/issues/{issue}\b"));
            await Expect(page.Locator("ol.chain > li[data-step=\"pull\"] a.forge-link")).ToHaveAttributeAsync("href", new Regex($@"/{Regex.Escape(forge.FullName)}/pulls/{pr}\b"));
            foreach (var kind in new[] { "review", "merge" })
            {
                var links = page.Locator($"ol.chain > li[data-step=\"{kind}\"] a.forge-link");
                Assert.True(await links.CountAsync() >= 1, $"no forge link on the {kind} step");
                Assert.All(await links.EvaluateAllAsync<string[]>("items => items.map(a => a.getAttribute('href'))"), href => Assert.Contains($"/pulls/{pr}", href, StringComparison.Ordinal));
            }

            // The webhook that started the work, opened from its step.
            var delivery = page.Locator("ol.chain > li[data-step] a.delivery-link").First;
            await Expect(delivery).ToBeVisibleAsync();
            await delivery.ClickAsync();
            await page.WaitForURLAsync(u => new Uri(u).AbsolutePath == "/ui/deliveries");
            var deliveryId = new Uri(page.Url).Query.Split('=', 2)[1];
            await Expect(page.Locator($"[id=\"delivery-{Uri.UnescapeDataString(deliveryId)}\"]")).ToBeVisibleAsync();

            // The tracking comment's link, with the service's own address, opens the task for someone signed out.
            var reader = await (await ui.NewContextAsync()).NewPageAsync();
            var opened = await reader.GotoAsync(follow.Groups["path"].Value);
            Assert.Equal(200, opened!.Status);
            await Expect(reader.Locator("main h1")).ToContainTextAsync(ids[0]);
            await Expect(reader.Locator("#task-state")).ToHaveTextAsync("succeeded");
            await Expect(reader.Locator("#cancel")).ToHaveCountAsync(0);
            await Expect(reader.Locator("#retry")).ToHaveCountAsync(0);
            await Expect(reader.Locator("form.signout")).ToHaveCountAsync(0);
            await Expect(reader.Locator("header nav")).ToHaveCountAsync(0);
        });
    }
}
