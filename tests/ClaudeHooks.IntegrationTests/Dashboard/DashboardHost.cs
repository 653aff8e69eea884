using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using ClaudeHooks.TestServers;
using Microsoft.Playwright;

namespace ClaudeHooks.IntegrationTests.Dashboard;

/// <summary>
/// One headless Chromium and one <c>claude-hooks serve</c> for a test class. The browser is Debian's (Playwright
/// cannot download its own builds here); without it the browser tests skip loudly, except under CI=true, where they
/// fail. The service is started by the first test that needs it, since the Docker fixture is not there before a test
/// runs, and stopped after the class's last test together with whatever the class made for it.
/// </summary>
public sealed class DashboardHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Func<Task>> _cleanups = [];
    private readonly string _data = Directory.CreateTempSubdirectory("claude-hooks-dashboard-").FullName;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private ServiceProcess? _service;

    public string? SkipReason { get; private set; }

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser did not start");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"CI=true requires Chromium at {ChromiumPath} for the dashboard's browser tests (scripts/test installs Debian's chromium)");
            }

            SkipReason = $"NO CHROMIUM at {ChromiumPath}: the dashboard's browser tests are SKIPPED (apt-get install chromium, or run scripts/test)";
            await Console.Error.WriteLineAsync($"!!!!! {SkipReason} !!!!!");
            return;
        }

        // Expectations wait for the service's live updates (every 2 s) and for sandboxes; the default 5 s is short for that.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true });
    }

    /// <summary>Skips the test when the engine or the browser is missing (outside CI).</summary>
    public void SkipUnlessReady(DockerFixture fixture)
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        Skip.If(SkipReason is not null, SkipReason);
    }

    /// <summary>
    /// The class's running service, started when there is none (or it died) with the Docker fixture's config, changed
    /// by <paramref name="configure"/> first when given.
    /// </summary>
    public async Task<ServiceProcess> ServiceAsync(DockerFixture fixture, Func<JsonObject, Task>? configure = null)
    {
        await _gate.WaitAsync();
        try
        {
            if (_service is { HasExited: false })
            {
                return _service;
            }

            if (_service is not null)
            {
                await _service.DisposeAsync();
            }

            _service = null;
            var configFile = fixture.ConfigFile;
            if (configure is not null)
            {
                var config = JsonNode.Parse(await File.ReadAllTextAsync(fixture.ConfigFile))!.AsObject();
                await configure(config);
                configFile = Path.Combine(fixture.Home, $"dashboard-{Guid.NewGuid():N}.json");
                await File.WriteAllTextAsync(configFile, config.ToJsonString());
                OnDispose(() =>
                {
                    File.Delete(configFile);
                    return Task.CompletedTask;
                });
            }

            _service = await ServiceProcess.StartAsync(configFile, fixture.Home, _data, ServiceProcess.FreePort());
            return _service;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Something to undo after the service stopped (a fake forge to stop), in reverse order of registration.</summary>
    public void OnDispose(Func<Task> cleanup)
    {
        lock (_cleanups)
        {
            _cleanups.Add(cleanup);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a fresh browser context, then fails the test if any page of it threw an uncaught
    /// error or opened a dialog. On a failure every open page is kept as a full-page screenshot with its URL, and the
    /// failure message says where.
    /// </summary>
    public async Task RunAsync(DockerFixture fixture, ServiceProcess service, Func<BrowserRun, Task> body, [CallerMemberName] string test = "", [CallerFilePath] string file = "")
    {
        await using var run = await BrowserRun.StartAsync(Browser, service.BaseUrl, File.ReadAllText(Path.Combine(fixture.Home, "api-token")).Trim(), $"{Path.GetFileNameWithoutExtension(file)}.{test}");
        Exception? failure = null;
        try
        {
            await body(run);
        }
        catch (Exception e) when (e is not SkipException)
        {
            failure = e;
        }

        if (await run.FailureAsync(failure, service.Log) is { } reported)
        {
            throw reported;
        }
    }

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        for (var i = _cleanups.Count - 1; i >= 0; i--)
        {
            await _cleanups[i]();
        }

        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _gate.Dispose();
        Directory.Delete(_data, recursive: true);
    }
}
