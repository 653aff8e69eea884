using ClaudeHooks.Dashboard;
using ClaudeHooks.Dashboard.Pages;
using ClaudeHooks.Forge;
using ClaudeHooks.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.Tests.Dashboard;

/// <summary>The pages rendered to HTML as the server sends them: their DOM contract, and hostile text encoded.</summary>
public sealed class WorkPageRenderingTests
{
    private const string Hostile = "<script>alert(1)</script>";
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);
    private static readonly PageFrame Frame = new(Operator: true, Draining: false, Csrf: "csrf", Section: "work");

    [Fact]
    public async Task WorkItemPage_Chain_HasItsStepsLinksAndTotals_AndEncodesHostileText()
    {
        var rows = new[]
        {
            Row("i1", "implement", 3, 0, pull: 7) with { Reason = Hostile, DeliveryId = "d-1", CostUsd = 0.5m, DurationMs = 90_000 },
            Row("r1", "review", 7, 20) with { PullNumber = 7, Verdict = "APPROVED", CostUsd = 0.25m, DurationMs = 30_000 },
        };
        var item = Assert.Single(WorkChains.Group(rows, _ => new Uri("https://forge.example/"), t => SecretRedactor.FormatsOnly.Redact(t).Text));

        var html = await RenderAsync<WorkItemPage>(new() { ["Frame"] = Frame, ["Item"] = item, ["ForgeConfigured"] = true });

        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<ol class=\"chain\"", html, StringComparison.Ordinal);
        foreach (var step in new[] { "issue", "implement", "pull", "review" })
        {
            Assert.Contains($"data-step=\"{step}\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("<span class=\"state ok\">succeeded</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"cost\">$0.5000</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"duration\">1 min 30 s</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"cost\" id=\"total-cost\">$0.7500</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"duration\" id=\"total-duration\">2 min 0 s</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"verdict ok\">approved</span>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/ui/tasks/i1\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"forge-link\" href=\"https://forge.example/acme/web/pulls/7\"", html, StringComparison.Ordinal);
        Assert.Contains("class=\"delivery-link\" href=\"/ui/deliveries?id=d-1\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkItemPage_RunWithoutFigures_ShowsDashes()
    {
        var item = Assert.Single(WorkChains.Group([Row("i1", "implement", 3, 0) with { CostUsd = null, DurationMs = null, State = "queued" }], _ => null, t => t));

        var html = await RenderAsync<WorkItemPage>(new() { ["Frame"] = Frame, ["Item"] = item, ["ForgeConfigured"] = false });

        // The renderer writes the dash as a character reference.
        Assert.Contains("<span class=\"cost\">&#x2014;</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"duration\">&#x2014;</span>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"no-forge\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("forge-link", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkItemsPage_List_LinksEachItem()
    {
        var items = WorkChains.Group([Row("i1", "implement", 3, 0)], _ => null, t => t);

        var html = await RenderAsync<WorkItemsPage>(new() { ["Frame"] = Frame, ["View"] = WorkPages.Page(items, 1, forgeConfigured: true) });

        Assert.Contains("href=\"/ui/work/acme/web/3\"", html, StringComparison.Ordinal);
        Assert.Contains("data-work=\"acme/web#3\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeliveriesPage_HostileOutcome_IsEncoded_AndRowsCarryTheirIds()
    {
        var rows = new[]
        {
            DeliveryRow.From(new DeliveryRecord("d-1", "issue_comment", "created", "acme/web", T0, 1, null, null, $"refused: {Hostile}", null, null), SecretRedactor.FormatsOnly),
            DeliveryRow.From(new DeliveryRecord("d-2", "issue_assign", "assigned", "acme/web", T0, 1, null, null, "queued task t1 (implement for dev)", "t1", null), SecretRedactor.FormatsOnly),
        };

        var html = await RenderAsync<DeliveriesPage>(new() { ["Frame"] = Frame with { Section = "deliveries" }, ["View"] = new DeliveriesView(rows, false, null, 100, true) });

        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.Contains("refused: &lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("id=\"delivery-d-1\"", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/ui/tasks/t1\"><code>t1</code></a>", html, StringComparison.Ordinal);
        Assert.Contains("(implement for dev)", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayPage_BadSince_ShowsTheMessageNextToItsField()
    {
        var view = new GatewayView(new GatewayFilters("", "", "", Hostile, ""), ["dev"], [new GatewayFieldError("since", "\"x\" is not a time")], [], false, null);

        var html = await RenderAsync<GatewayPage>(new() { ["Frame"] = Frame with { Section = "gateway" }, ["View"] = view });

        Assert.Contains("<form method=\"get\" action=\"/ui/gateway\" class=\"filters panel\">", html, StringComparison.Ordinal);
        Assert.Contains("class=\"field-error\" data-field=\"since\"", html, StringComparison.Ordinal);
        Assert.Contains("&quot;x&quot; is not a time", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Hostile, html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GatewayPage_DeniedRow_IsMarked()
    {
        var row = new GatewayRow(1, T0, "t1", "dev", "connect", "CONNECT", "evil.example:443", "/", 403, "denied", "no rule allows evil.example", 0, 120, 3);
        var view = new GatewayView(new GatewayFilters("", "", "", "", ""), ["dev"], [], [row], true, null);

        var html = await RenderAsync<GatewayPage>(new() { ["Frame"] = Frame with { Section = "gateway" }, ["View"] = view });

        Assert.Contains("<tr id=\"egress-1\" class=\"denied\" data-decision=\"denied\">", html, StringComparison.Ordinal);
    }

    private static async Task<string> RenderAsync<TComponent>(Dictionary<string, object?> parameters)
        where TComponent : IComponent
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, services.GetRequiredService<ILoggerFactory>());
        return await renderer.Dispatcher.InvokeAsync(async () => (await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters))).ToHtmlString());
    }

    private static WorkTaskRow Row(string id, string kind, long number, int at, long? pull = null) =>
        new(id, "acme/web", kind, number, pull, null, null, "dev", "succeeded", $"issue-{number}", T0.AddMinutes(at), T0.AddMinutes(at + 5), null, null, null, null, null);
}
