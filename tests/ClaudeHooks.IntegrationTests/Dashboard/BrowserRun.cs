using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Playwright;
using Xunit.Sdk;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>
/// One test's browser: a fresh context (no cookie of another test), its pages, and what they did that a person would
/// notice: uncaught script errors and dialogs (each dismissed, and each fails the test), console errors and answers of
/// 400 and above (only reported: a 404 page logs one by design).
/// </summary>
public sealed class BrowserRun : IAsyncDisposable
{
    private readonly IBrowser _browser;
    private readonly string _name;
    private readonly List<IBrowserContext> _contexts = [];
    private readonly ConcurrentQueue<IPage> _pages = new();
    private readonly ConcurrentQueue<string> _pageErrors = new();
    private readonly ConcurrentQueue<string> _dialogs = new();
    private readonly ConcurrentQueue<string> _console = new();

    private BrowserRun(IBrowser browser, Uri baseUrl, string token, string name)
    {
        _browser = browser;
        BaseUrl = baseUrl;
        Token = token;
        _name = name;
    }

    public Uri BaseUrl { get; }

    /// <summary>The service's API token, as an operator copies it from <c>$CLAUDE_HOOKS_HOME/api-token</c>.</summary>
    public string Token { get; }

    /// <summary>The first page of the first context.</summary>
    public IPage Page { get; private set; } = default!;

    public IBrowserContext Context => _contexts[0];

    public static async Task<BrowserRun> StartAsync(IBrowser browser, Uri baseUrl, string token, string name)
    {
        var run = new BrowserRun(browser, baseUrl, token, name);
        var context = await run.NewContextAsync();
        run.Page = await context.NewPageAsync();
        return run;
    }

    /// <summary>The absolute address of <paramref name="path"/> on the service.</summary>
    public string Url(string path) => new Uri(BaseUrl, path).ToString();

    /// <summary>Another browser with nothing in common with the first: no cookie, no session.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl.ToString(), ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(20_000);
        context.Page += (_, page) => Watch(page);
        _contexts.Add(context);
        return context;
    }

    /// <summary>Signs in through the real form, as a person would, and waits for the page it leads to.</summary>
    public async Task SignInAsync(IPage page, string returnTo = "/")
    {
        await page.GotoAsync(returnTo == "/" ? "/ui/signin" : $"/ui/signin?return={Uri.EscapeDataString(returnTo)}");
        await page.Locator("#token").FillAsync(Token);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(Url(returnTo));
    }

    /// <summary>
    /// The failure to report: the test's own, or an uncaught page error or a dialog seen while it passed. Screenshots of
    /// every open page are kept first, and the message names them.
    /// </summary>
    internal async Task<Exception?> FailureAsync(Exception? failure, string serviceLog)
    {
        if (failure is null && _pageErrors.IsEmpty && _dialogs.IsEmpty)
        {
            return null;
        }

        var message = new StringBuilder();
        if (failure is not null)
        {
            message.AppendLine(failure.Message);
        }

        foreach (var error in _pageErrors)
        {
            message.AppendLine(CultureInfo.InvariantCulture, $"uncaught page error: {error}");
        }

        foreach (var dialog in _dialogs)
        {
            message.AppendLine(CultureInfo.InvariantCulture, $"a dialog opened (dismissed): {dialog}");
        }

        foreach (var line in _console.Take(20))
        {
            message.AppendLine(CultureInfo.InvariantCulture, $"console: {line}");
        }

        message.Append(await KeepPagesAsync());
        var logTail = string.Join('\n', serviceLog.Split('\n').TakeLast(40));
        message.AppendLine("service log (last lines):").AppendLine(logTail);
        return new XunitException(message.ToString(), failure);
    }

    private async Task<string> KeepPagesAsync()
    {
        var folder = Environment.GetEnvironmentVariable("CLAUDE_HOOKS_TEST_ARTIFACTS") is { Length: > 0 } configured ? configured : "/tmp/claude-hooks-test-artifacts";
        Directory.CreateDirectory(folder);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var kept = new StringBuilder();
        var n = 0;
        foreach (var page in _pages.Where(p => !p.IsClosed))
        {
            n++;
            var file = Path.Combine(folder, $"{_name}-{stamp}-page{n}.png");
            try
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true, Timeout = 10_000 });
                await File.WriteAllTextAsync(Path.ChangeExtension(file, ".url.txt"), page.Url + "\n");
                kept.AppendLine(CultureInfo.InvariantCulture, $"page {n} at {page.Url}: screenshot {file}");
            }
            catch (PlaywrightException e)
            {
                kept.AppendLine(CultureInfo.InvariantCulture, $"page {n} at {page.Url}: no screenshot ({e.Message.Split('\n')[0]})");
            }
        }

        return kept.ToString();
    }

    private void Watch(IPage page)
    {
        _pages.Enqueue(page);
        page.PageError += (_, error) => _pageErrors.Enqueue($"{page.Url}: {error}");
        page.Console += (_, console) =>
        {
            if (console.Type == "error")
            {
                _console.Enqueue($"{page.Url}: {console.Text}");
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                _console.Enqueue($"{page.Url}: {response.Request.Method} {response.Url} answered {response.Status}");
            }
        };
        page.Dialog += async (_, dialog) =>
        {
            _dialogs.Enqueue($"{dialog.Type} \"{dialog.Message}\" on {page.Url}");
            try
            {
                await dialog.DismissAsync();
            }
            catch (PlaywrightException)
            {
                // The page went away with its dialog.
            }
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }
    }
}
