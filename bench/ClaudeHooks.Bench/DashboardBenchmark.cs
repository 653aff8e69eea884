using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Dashboard;
using ClaudeHooks.Persistence;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;
using ClaudeHooks.TestServers;

namespace ClaudeHooks.Bench;

/// <summary>
/// The dashboard of a real service process over a seeded database (<see cref="DashboardSeed"/>): the overview with
/// 1,000 tasks, signed in, as loopback round trips (an upper bound of the server's time) with the page's data timed
/// in this process as well; the task page, its newest and an earlier transcript page; and in headless Chromium the
/// time to the first transcript entry of a 20,000-event task and the memory it takes (<see cref="DashboardBrowser"/>).
/// </summary>
/// <remarks>
/// Every agent runs in local mode, so the service starts without agent containers and its overview does not ask the
/// engine (which it would do at most every two seconds); a prefix of its own keeps its sandbox reaper off anything else.
/// </remarks>
internal static partial class DashboardBenchmark
{
    private const int WarmUp = 20;
    private const int Requests = 50;

    public static async Task RunAsync()
    {
        var home = Directory.CreateTempSubdirectory("claude-hooks-bench-dashboard-").FullName;
        try
        {
            var data = Path.Combine(home, "data");
            var configFile = Path.Combine(home, "agents.json");
            await File.WriteAllTextAsync(configFile, $$"""
                { "container_prefix": "{{AgentSandbox.NewPrefix("chbd")}}",
                  "agents": { "dev": { "role": "dev", "forge_user": "bench-dev", "container": { "runtime": "local" } },
                              "reviewer": { "role": "reviewer", "forge_user": "bench-reviewer", "container": { "runtime": "local" } },
                              "boss": { "role": "lead", "forge_user": "bench-boss", "container": { "runtime": "local" } } } }
                """);

            var clock = Stopwatch.StartNew();
            var (longTask, longBytes, states, events, bytes) = await DashboardSeed.SeedAsync(await Database.OpenAndMigrateAsync(data), DateTimeOffset.UtcNow);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"dashboard: seeded {DashboardSeed.Tasks:N0} tasks ({string.Join(", ", states.OrderByDescending(s => s.Value).Select(s => $"{s.Value} {s.Key}"))}; agents dev, reviewer, boss), "
                + $"{events:N0} events ({bytes / 1048576.0:0.0} MB; {DashboardSeed.RunningTaskEvents} per running task, {DashboardSeed.LongTaskEvents:N0} ({longBytes / 1048576.0:0.0} MB) in task {longTask}) in {clock.Elapsed.TotalSeconds:0.0} s"));

            await using var service = await ServiceProcess.StartAsync(configFile, home, data, ServiceProcess.FreePort());
            var token = (await File.ReadAllTextAsync(Path.Combine(home, "api-token"))).Trim();
            using var client = await SignInAsync(service.BaseUrl, token);

            var overview = await TimeAsync(client, "/", null);
            Console.WriteLine($"dashboard: GET / (overview, signed in), loopback round trip, {Requests} requests after {WarmUp} warm-up (target: under 200 ms server time):");
            Console.WriteLine($"dashboard:   whole page: {Describe(overview.Whole, "requests")}; first byte: {Describe(overview.FirstByte, "requests")}; {overview.Answer}");
            Console.WriteLine($"dashboard:   the page's data alone (OverviewPages.BuildAsync in this process, same database, no HTTP or rendering): {Describe(await OverviewDataAsync(configFile, home, data), "runs")}");

            var page = await TimeAsync(client, DashboardPaths.Task(longTask), null);
            Console.WriteLine($"dashboard: GET {DashboardPaths.Task(longTask)} (task page, {DashboardSeed.LongTaskEvents:N0} events): {Describe(page.Whole, "requests")}; {page.Answer}");

            var (newest, accept, earlier) = await DashboardBrowser.RunAsync(service.BaseUrl, token, longTask);
            var transcript = await TimeAsync(client, newest ?? $"/ui/tasks/{Uri.EscapeDataString(longTask)}/transcript", accept ?? "application/json");
            Console.WriteLine($"dashboard: GET {PathOf(newest) ?? $"/ui/tasks/{longTask}/transcript"} (newest transcript page{(newest is null ? ", not seen from the page's script" : ", as the page's script asks for it")}{(accept is null ? "" : $", Accept {accept}")}):");
            Console.WriteLine($"dashboard:   whole answer: {Describe(transcript.Whole, "requests")}; first byte: {Describe(transcript.FirstByte, "requests")}; {transcript.Answer}");
            if (earlier is not null)
            {
                var earlierPage = await TimeAsync(client, earlier, accept);
                Console.WriteLine($"dashboard: GET {PathOf(earlier)} (an earlier transcript page, as \"Load earlier events\" asks for it): {Describe(earlierPage.Whole, "requests")}; {earlierPage.Answer}");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(home, recursive: true);
        }
    }

    internal static string Describe(IReadOnlyList<double> milliseconds, string what) => string.Create(CultureInfo.InvariantCulture,
        $"p50 {Stats.Percentile(milliseconds, 50):0.0} ms, p95 {Stats.Percentile(milliseconds, 95):0.0} ms, min {milliseconds.Min():0.0} ms, max {milliseconds.Max():0.0} ms ({milliseconds.Count} {what})");

    /// <summary>Through the sign-in form, as a browser: its anti-forgery token and cookie, then the session cookie.</summary>
    private static async Task<HttpClient> SignInAsync(Uri baseUrl, string token)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var form = await client.GetStringAsync(DashboardPaths.SignIn);
        var csrf = AntiForgeryField().Match(form) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("the sign-in page has no __RequestVerificationToken");
        using var response = await client.PostAsync(DashboardPaths.SignIn, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = csrf, ["return"] = "/", ["token"] = token,
        }));
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"signing in answered {(int)response.StatusCode}, not a redirect: {await response.Content.ReadAsStringAsync()}");
        }

        return client;
    }

    /// <summary><see cref="Requests"/> GETs of <paramref name="path"/>, one at a time after <see cref="WarmUp"/>: time to the headers and to the last byte.</summary>
    private static async Task<(List<double> FirstByte, List<double> Whole, string Answer)> TimeAsync(HttpClient client, string path, string? accept)
    {
        var firstByte = new List<double>();
        var whole = new List<double>();
        var answers = new SortedDictionary<int, int>();
        long size = 0;
        string? type = null;
        string? body = null;
        for (var i = 0; i < WarmUp + Requests; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (accept is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept", accept);
            }

            var stopwatch = Stopwatch.StartNew();
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var headers = stopwatch.Elapsed.TotalMilliseconds;
            var content = await response.Content.ReadAsByteArrayAsync();
            var elapsed = stopwatch.Elapsed.TotalMilliseconds;
            if (i < WarmUp)
            {
                continue;
            }

            firstByte.Add(headers);
            whole.Add(elapsed);
            answers[(int)response.StatusCode] = answers.GetValueOrDefault((int)response.StatusCode) + 1;
            size = content.Length;
            type = response.Content.Headers.ContentType?.MediaType;
            body = System.Text.Encoding.UTF8.GetString(content);
        }

        return (firstByte, whole, string.Create(CultureInfo.InvariantCulture,
            $"answered {string.Join(", ", answers.Select(a => $"{a.Key} x{a.Value}"))}, {size / 1024.0:0.0} KB {type}{Entries(type, body)}"));
    }

    /// <summary>How many entries a transcript answer holds: items of a JSON array named entries, or elements with a data-seq.</summary>
    private static string Entries(string? type, string? body)
    {
        if (body is null)
        {
            return "";
        }

        if (type == "application/json")
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("entries", out var entries) || entries.ValueKind != JsonValueKind.Array)
                {
                    return "";
                }

                var seqs = entries.EnumerateArray().Select(e => e.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var n) ? n : 0).Where(n => n > 0).ToList();
                return string.Create(CultureInfo.InvariantCulture, $", {entries.GetArrayLength()} entries")
                    + (seqs.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $" of events {seqs.Min()}..{seqs.Max()}") : "")
                    + (root.TryGetProperty("earlier", out var earlier) && earlier.ValueKind == JsonValueKind.Number ? $", earlier {earlier}" : "");
            }
            catch (JsonException)
            {
                return ", not JSON";
            }
        }

        var items = DataSeq().Count(body);
        return items > 0 ? $", {items} data-seq elements" : "";
    }

    /// <summary>The overview's data as the page builds it, timed here against the service's database (no HTTP, no rendering).</summary>
    private static async Task<List<double>> OverviewDataAsync(string configFile, string home, string data)
    {
        var paths = new ClaudeHooksPaths(home);
        var config = ConfigLoader.Load(configFile, paths);
        var redactor = new SecretRedactor(SecretCatalog.For(config, paths));
        using var docker = DockerConnection.Create();
        var engine = new EngineSnapshot(docker, config, TimeProvider.System);
        var database = new Database(data);
        var store = new SqliteTaskStore(database, TimeProvider.System);
        var times = new List<double>();
        for (var i = 0; i < WarmUp + Requests; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            await OverviewPages.BuildAsync(config, engine, store, database, redactor, CancellationToken.None);
            if (i >= WarmUp)
            {
                times.Add(stopwatch.Elapsed.TotalMilliseconds);
            }
        }

        return times;
    }

    private static string? PathOf(string? url) => url is null ? null : Uri.TryCreate(url, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : url;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiForgeryField();

    [GeneratedRegex("data-seq=")]
    private static partial Regex DataSeq();
}
