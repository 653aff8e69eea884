using System.Text.Json;
using ClaudeHooks.Cli;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Cli;

/// <summary>
/// The <c>task</c> verbs as a process against the task API on loopback over real SQLite: exit codes for what the API
/// refuses, JSON that parses and stays readable, and events shown with the times they were stored.
/// </summary>
public sealed class TaskCommandTests : IAsyncLifetime
{
    private static readonly DateTimeOffset LongAgo = new(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly TempDirectory _home = new();
    private TaskApiServer _api = null!;

    public async Task InitializeAsync() => _api = await TaskApiServer.StartAsync(_home.Path);

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        _home.Dispose();
    }

    [Fact]
    public async Task Show_UnknownTask_ExitsNotFound()
    {
        var (code, _, error) = await RunAsync("task", "show", "nope");

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Contains("404 Not Found: no task nope", error, StringComparison.Ordinal);
        Assert.False(CliProcess.HasStackTrace(error), error);
    }

    [Fact]
    public async Task Cancel_EndedTask_ExitsConflict()
    {
        await _api.AddTaskAsync("done", TaskState.Succeeded, LongAgo);

        var (code, _, error) = await RunAsync("task", "cancel", "done");

        Assert.Equal(ExitCodes.Conflict, code);
        Assert.StartsWith("error: 409 Conflict", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_UnknownState_ExitsInvalidInputNamingTheField()
    {
        var (code, _, error) = await RunAsync("task", "list", "--state", "sleeping");

        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("400 Bad Request: state:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_AnotherServicesToken_ExitsCredentialProblemWithAHint()
    {
        using var other = new TempDirectory();
        other.Write("api-token", "not-the-token\n");

        var (code, _, error) = await CliProcess.RunAsync(new Dictionary<string, string?> { ["CLAUDE_HOOKS_HOME"] = other.Path }, "task", "list", "--url", _api.Url);

        Assert.Equal(ExitCodes.CredentialProblem, code);
        Assert.Contains("401", error, StringComparison.Ordinal);
        Assert.Contains($"hint: the token in {other.Path}/api-token is not the one of the service", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_Json_ParsesAndKeepsTextReadableButNoControlCharacter()
    {
        const string Prompt = "café <b>&'\u001b[2J\u202e";
        await _api.Store.CreateTaskAsync(new TaskRecord("j1", "dev", "https://forge.example/o/r", null, "issue-1", Prompt, TaskState.Queued, 0, LongAgo, LongAgo, null), "submitted", CancellationToken.None);

        var (code, output, _) = await RunAsync("task", "show", "j1", "--json");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(Prompt, JsonDocument.Parse(output).RootElement.GetProperty("prompt").GetString());
        Assert.Contains("café <b>&'", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u202e', output);
        Assert.Contains("[2J", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_Json_ParsesAsTheApisPage()
    {
        await _api.AddTaskAsync("l1", TaskState.Queued, LongAgo);
        await _api.AddTaskAsync("l2", TaskState.Failed, LongAgo.AddMinutes(1));

        var (code, output, _) = await RunAsync("task", "list", "--json");

        Assert.Equal(ExitCodes.Success, code);
        var tasks = JsonDocument.Parse(output).RootElement.GetProperty("tasks");
        Assert.Equal(["l2", "l1"], tasks.EnumerateArray().Select(t => t.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task List_TaskWithoutOutcome_ShowsADashForEachFigure()
    {
        await _api.AddTaskAsync("q1", TaskState.Queued, LongAgo);

        var (code, output, _) = await RunAsync("task", "list");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("OUTCOME", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("q1 ", StringComparison.Ordinal) && l.Contains("  - · - · -  ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logs_OldTask_ShowsEachEventsStoredTimeAndTheOutcomeReadably()
    {
        await _api.AddTaskAsync("old", TaskState.Succeeded, LongAgo, new { status = "succeeded", reason = "done", duration_ms = 50_200, cost_usd = 0.0132, turns = 7 });
        await _api.AddEventAsync("old", 1, LongAgo, "runner/stderr", new { line = "first line" });
        await _api.AddEventAsync("old", 2, LongAgo.AddSeconds(4), "result", new { subtype = "success", num_turns = 7, total_cost_usd = 0.0132, duration_ms = 50_200 });

        var (code, output, _) = await RunAsync("task", "logs", "old");

        Assert.Equal(ExitCodes.Success, code);
        var lines = output.Split('\n');
        Assert.Contains("03:04:05  stderr: first line", lines);
        Assert.Contains("03:04:09  result success · 50.2 s · $0.0132 · 7 turns", lines);
        Assert.Contains("  50.2 s · $0.0132 · 7 turns · session -", lines);
    }

    [Fact]
    public async Task Logs_DurationsPastTimeSpan_ShowEveryEventAndTheOutcomeWithADash()
    {
        await _api.AddTaskAsync("huge", TaskState.Succeeded, LongAgo, new { status = "succeeded", reason = "done", duration_ms = 10_000_000_000_000_000L, cost_usd = 0.01, turns = 1 });
        await _api.AddEventAsync("huge", 1, LongAgo, "runner/stderr", new { line = "before" });
        await _api.AddEventAsync("huge", 2, LongAgo, "result", new { subtype = "success", duration_ms = 1e300 });
        await _api.AddEventAsync("huge", 3, LongAgo, "result", new[] { "not", "an", "object" });
        await _api.AddEventAsync("huge", 4, LongAgo, "runner/stderr", new { line = "after" });

        var (code, output, error) = await RunAsync("task", "logs", "huge");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("", error);
        var lines = output.Split('\n');
        Assert.Contains("03:04:05  stderr: before", lines);
        Assert.Contains("03:04:05  result success · - · - · -", lines);
        Assert.Contains(lines, l => l.StartsWith("03:04:05  result: event 3 not shown (", StringComparison.Ordinal));
        Assert.Contains("03:04:05  stderr: after", lines);
        Assert.Contains("  - · $0.0100 · 1 turn · session -", lines);
    }

    [Fact]
    public async Task Show_OutcomeDurationPastTimeSpan_ShowsADash()
    {
        await _api.AddTaskAsync("huge-show", TaskState.Succeeded, LongAgo, new { status = "succeeded", reason = "done", duration_ms = 10_000_000_000_000_000L, cost_usd = 0.01, turns = 1 });

        var (code, output, _) = await RunAsync("task", "show", "huge-show");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("  - · $0.0100 · 1 turn · session -", output.Split('\n'));
    }

    [Fact]
    public async Task Transcript_BidiAndZeroWidthCharacters_ShownEscaped()
    {
        await _api.AddTaskAsync("bidi", TaskState.Succeeded, LongAgo);
        await _api.AddEventAsync("bidi", 1, LongAgo, "assistant", new { type = "assistant", message = new { content = new[] { new { type = "text", text = "safe \u202Egnp.exe\u202C don\u200Be" } } } });

        var (code, output, _) = await RunAsync("task", "transcript", "bidi");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("safe \\u202Egnp.exe\\u202C don\\u200Be", output, StringComparison.Ordinal);
        Assert.DoesNotContain(output, c => c is '\u202e' or '\u202c' or '\u200b');
    }

    [Fact]
    public async Task Logs_Full_ShowsATextLongerThan400CharactersWhole()
    {
        var text = string.Concat(Enumerable.Range(0, 120).Select(i => $"w{i:000} ")) + "THE-END";
        await _api.AddTaskAsync("long", TaskState.Succeeded, LongAgo);
        await _api.AddEventAsync("long", 1, LongAgo, "assistant", new { type = "assistant", message = new { content = new[] { new { type = "text", text } } } });

        var (_, cut, _) = await RunAsync("task", "logs", "long");
        var (code, full, _) = await RunAsync("task", "logs", "long", "--full");

        Assert.True(text.Length > 600);
        Assert.DoesNotContain("THE-END", cut, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains($"03:04:05  assistant: {text}", full, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_Json_OneParsableObjectPerEventWithItsStoredTime()
    {
        await _api.AddTaskAsync("lj", TaskState.Failed, LongAgo);
        await _api.AddEventAsync("lj", 1, LongAgo, "runner/stderr", new { line = "ünïcode <ok>" });
        await _api.AddEventAsync("lj", 2, LongAgo.AddSeconds(1), "runner/stderr", new { line = "second" });

        var (code, output, _) = await RunAsync("task", "logs", "lj", "--json");

        Assert.Equal(ExitCodes.CheckFailed, code);
        var events = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1L, 2L], events.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(LongAgo, events[0].GetProperty("at").GetDateTimeOffset());
        Assert.Equal("ünïcode <ok>", events[0].GetProperty("data").GetProperty("line").GetString());
        Assert.Contains("ünïcode <ok>", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transcript_PrintsMessagesAndToolCallsWithTheirTimes_AndAsJsonLines()
    {
        await _api.AddTaskAsync("tr", TaskState.Succeeded, LongAgo);
        await _api.AddEventAsync("tr", 1, LongAgo, "assistant", new
        {
            type = "assistant",
            message = new { content = new object[] { new { type = "text", text = "Looking at the files." }, new { type = "tool_use", id = "toolu_1", name = "Bash", input = new { command = "ls -la" } } } },
        });

        var (code, output, _) = await RunAsync("task", "transcript", "tr");
        var (jsonCode, json, _) = await RunAsync("task", "transcript", "tr", "--json");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("03:04:05  assistant", output, StringComparison.Ordinal);
        Assert.Contains("Looking at the files.", output, StringComparison.Ordinal);
        Assert.Contains("ls -la", output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, jsonCode);
        var entries = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(entries, e => e.GetProperty("title").GetString() == "Bash" && e.GetProperty("input").GetString()!.Contains("ls -la", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.Equal(LongAgo, e.GetProperty("at").GetDateTimeOffset()));
    }

    [Fact]
    public async Task Logs_Follow_PrintsEventsStoredWhileItWaits_AndEndsWithTheTask()
    {
        await _api.AddTaskAsync("live", TaskState.Running, LongAgo);
        await _api.AddEventAsync("live", 1, LongAgo, "runner/stderr", new { line = "before" });

        var following = RunAsync("task", "logs", "live", "-f");
        await ReadsAsync(1, following);
        await _api.AddEventAsync("live", 2, LongAgo.AddSeconds(1), "runner/stderr", new { line = "while following" });
        await ReadsAsync(_api.TranscriptReads + 1, following);
        await _api.SetStateAsync("live", TaskState.Succeeded);
        var (code, output, _) = await following;

        Assert.Equal(ExitCodes.Success, code);
        var lines = output.Split('\n');
        Assert.Contains("03:04:05  stderr: before", lines);
        Assert.Contains("03:04:06  stderr: while following", lines);
    }

    [Fact]
    public async Task Transcript_UnknownTask_ExitsNotFound()
    {
        var (code, _, error) = await RunAsync("task", "transcript", "nope");

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Contains("no task nope", error, StringComparison.Ordinal);
    }

    /// <summary>Waits until the follower has asked for <paramref name="reads"/> pages (or has exited, which the test then reports).</summary>
    private async Task ReadsAsync(int reads, Task following)
    {
        while (_api.TranscriptReads < reads && !following.IsCompleted)
        {
            await Task.Delay(50);
        }
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) =>
        CliProcess.RunAsync(new Dictionary<string, string?> { ["CLAUDE_HOOKS_HOME"] = _home.Path, ["TZ"] = "UTC" }, [.. args, "--url", _api.Url]);
}
