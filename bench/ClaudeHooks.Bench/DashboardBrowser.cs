using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace ClaudeHooks.Bench;

/// <summary>
/// A task's page in headless Chromium (Debian's; Playwright cannot download its own builds here): navigation to the
/// first transcript entry on screen, the transcript requests the page's script makes, the JS heap and the entries in
/// the DOM after load and after each "Load earlier events".
/// </summary>
internal static class DashboardBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private const string Entry = "#transcript-list > li[data-seq]";
    private const int WarmUpLoads = 2;
    private const int Loads = 10;
    private const int EarlierClicks = 20;

    /// <summary>After this many clicks the memory is printed as well as at the end.</summary>
    private const int MemoryAfterClicks = 5;
    private const float WaitMs = 30_000;

    /// <summary>
    /// Records, from the start of the navigation (the page's time origin), when the first entry is in the document
    /// and visible: timed in the page, so the driver's own round trips are not in the figure.
    /// </summary>
    private const string FirstEntryWatch = $$"""
        (() => {
          const seen = () => {
            const first = document.querySelector('{{Entry}}');
            return first !== null && first.checkVisibility();
          };
          const observer = new MutationObserver(() => {
            if (seen()) {
              window.__benchFirstEntry = performance.now();
              observer.disconnect();
            }
          });
          observer.observe(document, { childList: true, subtree: true, attributes: true });
        })();
        """;

    private const string LowestSeq = $"() => Math.min(...Array.from(document.querySelectorAll('{Entry}'), li => Number(li.dataset.seq)))";

    /// <summary>Prints the browser's figures; returns the transcript requests the page made (the newest page with its Accept header, an earlier page), for timing them over HTTP.</summary>
    public static async Task<(string? Newest, string? Accept, string? Earlier)> RunAsync(Uri baseUrl, string token, string taskId)
    {
        if (!File.Exists(ChromiumPath))
        {
            Console.WriteLine($"dashboard: NO CHROMIUM at {ChromiumPath}: the browser figures are not measured (apt-get install chromium)");
            return (null, null, null);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(WaitMs);
        await context.AddInitScriptAsync(FirstEntryWatch);

        var signIn = await context.NewPageAsync();
        await signIn.GotoAsync("/ui/signin");
        await signIn.Locator("#token").FillAsync(token);
        await signIn.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in", Exact = true }).ClickAsync();
        await signIn.WaitForURLAsync(new Uri(baseUrl, "/").ToString());
        await signIn.CloseAsync();

        // The transcript requests of the page's script, as it makes them.
        var transcriptPath = $"/ui/tasks/{Uri.EscapeDataString(taskId)}/transcript";
        var requests = new List<(string Url, string? Accept, double Ms)>();
        context.RequestFinished += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath == transcriptPath)
            {
                lock (requests)
                {
                    requests.Add((request.Url, request.Headers.GetValueOrDefault("accept"), request.Timing.ResponseEnd));
                }
            }
        };

        var taskPage = $"/ui/tasks/{Uri.EscapeDataString(taskId)}";
        var inPage = new List<double>();
        var driver = new List<double>();
        var transcriptInBrowser = new List<double>();
        for (var i = 0; i < WarmUpLoads + Loads; i++)
        {
            var page = await context.NewPageAsync();
            lock (requests)
            {
                requests.Clear();
            }

            var stopwatch = Stopwatch.StartNew();
            await page.GotoAsync(taskPage, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            try
            {
                await page.Locator(Entry).First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = WaitMs });
            }
            catch (TimeoutException)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dashboard: browser: no {Entry} was visible {WaitMs / 1000:0} s after opening {taskPage}; the browser figures are not measured"));
                await page.CloseAsync();
                return (null, null, null);
            }

            var seen = stopwatch.Elapsed.TotalMilliseconds;
            var first = await page.EvaluateAsync<double?>("() => window.__benchFirstEntry ?? null");
            await QuietAsync(page);
            if (i >= WarmUpLoads)
            {
                driver.Add(seen);
                if (first is { } ms)
                {
                    inPage.Add(ms);
                }

                lock (requests)
                {
                    transcriptInBrowser.AddRange(requests.Take(1).Select(r => r.Ms).Where(ms => ms >= 0));
                }
            }

            if (i < WarmUpLoads + Loads - 1)
            {
                await page.CloseAsync();
                continue;
            }

            // The last page stays: memory after load, then after each "Load earlier events".
            string? newest;
            string? accept;
            lock (requests)
            {
                (newest, accept) = requests.Count > 0 ? (requests[0].Url, requests[0].Accept) : ((string?)null, (string?)null);
            }

            Console.WriteLine($"dashboard: browser: {taskPage} (task of {DashboardSeed.LongTaskEvents:N0} events), {Loads} fresh loads after {WarmUpLoads} warm-up, navigation -> first {Entry} visible (target within 1 s):");
            Console.WriteLine($"dashboard:   timed in the page (performance.now() from the navigation's start): {Describe(inPage)}");
            Console.WriteLine($"dashboard:   timed by the driver (goto .. visible, CDP round trips included):  {Describe(driver)}");
            if (transcriptInBrowser.Count > 0)
            {
                Console.WriteLine($"dashboard:   the page's first transcript request, as the browser timed it (request start .. response end): {Describe(transcriptInBrowser)}");
            }

            var cdp = await context.NewCDPSessionAsync(page);
            await cdp.SendAsync("Performance.enable");
            Console.WriteLine($"dashboard: browser: after load: {await MemoryAsync(page, cdp)}");
            var earlier = await EarlierAsync(page, cdp, requests, newest);
            return (newest, accept, earlier);
        }

        return (null, null, null);
    }

    /// <summary>Clicks "Load earlier events" up to <see cref="EarlierClicks"/> times; returns the URL of the first earlier page the script asked for.</summary>
    private static async Task<string?> EarlierAsync(IPage page, ICDPSession cdp, List<(string Url, string? Accept, double Ms)> requests, string? newest)
    {
        var button = page.Locator("#transcript-earlier");
        string? earlier = null;
        for (var click = 1; click <= EarlierClicks; click++)
        {
            if (!await button.IsVisibleAsync() || !await button.IsEnabledAsync())
            {
                Console.WriteLine($"dashboard: browser: no \"Load earlier events\" to click after {click - 1} click(s)");
                break;
            }

            var lowest = await page.EvaluateAsync<double>(LowestSeq);
            var before = await page.Locator(Entry).CountAsync();
            var stopwatch = Stopwatch.StartNew();
            await button.ClickAsync();
            try
            {
                await page.WaitForFunctionAsync($"lowest => ({LowestSeq})() < lowest", lowest, new PageWaitForFunctionOptions { Timeout = WaitMs, PollingInterval = 10 });
            }
            catch (TimeoutException)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dashboard: browser: click {click} on \"Load earlier events\" showed no earlier entry within {WaitMs / 1000:0} s"));
                break;
            }

            var shown = stopwatch.Elapsed.TotalMilliseconds;
            await QuietAsync(page);
            lock (requests)
            {
                earlier ??= requests.Select(r => r.Url).FirstOrDefault(u => u != newest);
            }

            var after = await page.Locator(Entry).CountAsync();
            var reached = await page.EvaluateAsync<double>(LowestSeq);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"dashboard: browser: \"Load earlier events\" click {click}: earlier entries on screen {shown:0} ms after the click (driver-timed), entries {before:N0} -> {after:N0}, lowest seq {lowest:0} -> {reached:0}"));
            if (click == MemoryAfterClicks)
            {
                Console.WriteLine($"dashboard: browser: after {click} clicks: {await MemoryAsync(page, cdp)}");
            }
        }

        Console.WriteLine($"dashboard: browser: at the end: {await MemoryAsync(page, cdp)}");
        return earlier;
    }

    /// <summary>The JS heap after a full garbage collection (CDP Performance.getMetrics), DOM nodes, and the list items.</summary>
    private static async Task<string> MemoryAsync(IPage page, ICDPSession cdp)
    {
        await cdp.SendAsync("HeapProfiler.collectGarbage");
        var metrics = (await cdp.SendAsync("Performance.getMetrics"))!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble(), StringComparer.Ordinal);
        var entries = await page.Locator(Entry).CountAsync();
        var items = await page.EvaluateAsync<int>("() => document.getElementsByTagName('li').length");
        var heap = await page.EvaluateAsync<JsonElement>("() => performance.memory ? performance.memory.usedJSHeapSize : null");
        return string.Create(CultureInfo.InvariantCulture,
            $"JS heap used {metrics["JSHeapUsedSize"] / 1048576:0.0} MB of {metrics["JSHeapTotalSize"] / 1048576:0.0} MB (CDP, after GC; performance.memory.usedJSHeapSize {(heap.ValueKind == JsonValueKind.Number ? $"{heap.GetDouble() / 1048576:0.0} MB" : "n/a")}), "
            + $"{metrics["Nodes"]:N0} DOM nodes, {entries:N0} {Entry}, {items:N0} <li> in the page");
    }

    /// <summary>Until the page's requests have settled (the live region of an ended task may still poll: then after the wait).</summary>
    private static async Task QuietAsync(IPage page)
    {
        try
        {
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new PageWaitForLoadStateOptions { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
        }
    }

    private static string Describe(List<double> milliseconds) => milliseconds.Count == 0 ? "not measured" : DashboardBenchmark.Describe(milliseconds, "loads");
}
