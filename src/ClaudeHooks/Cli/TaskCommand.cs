using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks task submit|show|list|cancel|link|logs|transcript</c>, against the running service's API. Text that came from a
/// task is printed with its control characters made visible, so it cannot drive the operator's terminal.
/// </summary>
internal static class TaskCommand
{
    private static readonly Option<string> Url = new("--url") { Description = "The service (default: $CLAUDE_HOOKS_URL or http://127.0.0.1:8080)", DefaultValueFactory = _ => ApiClient.DefaultUrl, Recursive = true };

    public static Command Create()
    {
        var command = new Command("task", "Submit and follow tasks through the running service") { Url };
        command.Subcommands.Add(Submit());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Cancel());
        command.Subcommands.Add(Link());
        command.Subcommands.Add(Logs());
        command.Subcommands.Add(Transcript());
        return command;
    }

    private static Command Submit()
    {
        var agent = new Option<string>("--agent") { Description = "The agent", Required = true };
        var repo = new Option<string>("--repo") { Description = "Repository URL", Required = true };
        var baseRef = new Option<string?>("--base-ref") { Description = "Branch, tag or commit to start from" };
        var thread = new Option<string?>("--thread") { Description = "Conversation thread (e.g. issue-42); same thread resumes the session" };
        var timeout = new Option<string?>("--timeout") { Description = "Wall-clock limit for this task, e.g. 30m (at most the agent's runner.timeout)" };
        var image = new Option<string?>("--image") { Description = "An image (or stack) for this task, among the operator's images.selectable" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Follow the task's events after submitting" };
        var prompt = new Argument<string>("prompt") { Description = "What to do; \"-\" reads standard input" };
        var json = CliJson.Option();
        var command = new Command("submit", "Queue a task") { agent, repo, baseRef, thread, timeout, image, follow, prompt, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var text = parse.GetValue(prompt)!;
            if (text == "-")
            {
                text = await Console.In.ReadToEndAsync(cancellationToken);
            }

            var body = new Dictionary<string, object?>
            {
                ["agent"] = parse.GetValue(agent), ["repo"] = parse.GetValue(repo), ["prompt"] = text,
                ["base_ref"] = parse.GetValue(baseRef), ["thread"] = parse.GetValue(thread), ["timeout"] = parse.GetValue(timeout),
                ["image"] = parse.GetValue(image),
            };
            var accepted = await api.SendAsync(HttpMethod.Post, "/task", body.Where(p => p.Value is not null).ToDictionary(), cancellationToken);
            var id = accepted.GetProperty("task_id").GetString()!;
            if (parse.GetValue(json))
            {
                CliJson.Write(accepted);
            }
            else
            {
                Console.WriteLine(id);
            }

            return parse.GetValue(follow) ? await LogsAsync(api, id, new LogsOptions(Follow: true, Full: false, parse.GetValue(json)), cancellationToken) : ExitCodes.Success;
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var json = CliJson.Option();
        var command = new Command("show", "A task's state, history and outcome") { id, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var task = await api.SendAsync(HttpMethod.Get, $"/task/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, cancellationToken);
            if (parse.GetValue(json))
            {
                CliJson.Write(task, indented: true);
                return ExitCodes.Success;
            }

            PrintTask(task);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command List()
    {
        var state = new Option<string?>("--state") { Description = "Only tasks in this state" };
        var agent = new Option<string?>("--agent") { Description = "Only this agent's tasks" };
        var repo = new Option<string?>("--repo") { Description = "Only this repository's tasks" };
        var limit = new Option<int>("--limit") { Description = "How many (newest first)", DefaultValueFactory = _ => 20 };
        var before = new Option<string?>("--before") { Description = "Page: tasks created before this time (next_before of the previous page)" };
        var json = CliJson.Option();
        var command = new Command("list", "Tasks, newest first") { state, agent, repo, limit, before, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var query = new Dictionary<string, string?>
            {
                ["state"] = parse.GetValue(state), ["agent"] = parse.GetValue(agent), ["repo"] = parse.GetValue(repo),
                ["limit"] = parse.GetValue(limit).ToString(CultureInfo.InvariantCulture), ["before"] = parse.GetValue(before),
            };
            var path = "/tasks?" + string.Join('&', query.Where(q => q.Value is not null).Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value!)}"));
            var page = await api.SendAsync(HttpMethod.Get, path, null, cancellationToken);
            if (parse.GetValue(json))
            {
                CliJson.Write(page);
                return ExitCodes.Success;
            }

            Table.Print(["ID", "AGENT", "STATE", "ATTEMPT", "THREAD", "CREATED", "OUTCOME", "REPO"], page.GetProperty("tasks").EnumerateArray().Select(t => new[]
            {
                Text(t, "id"), Text(t, "agent"), Text(t, "state"), Text(t, "attempt"), Text(t, "thread"),
                t.GetProperty("created_at").GetDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                OutcomeText.Format(t.TryGetProperty("outcome", out var outcome) && outcome.ValueKind == JsonValueKind.Object ? outcome : t), Text(t, "repo"),
            }).ToList());
            if (page.TryGetProperty("next_before", out var next) && next.ValueKind == JsonValueKind.String)
            {
                Console.WriteLine($"more: --before {next.GetString()}");
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Link()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var ttl = new Option<string?>("--ttl") { Description = "How long the link opens the task, e.g. 1h (1s to 90d; default service.link_ttl)" };
        var json = CliJson.Option();
        var command = new Command("link", "A signed, expiring, read-only dashboard link to the task, for people without the API token") { id, ttl, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var body = parse.GetValue(ttl) is { } value ? new Dictionary<string, object?> { ["ttl"] = value } : null;
            var result = await api.SendAsync(HttpMethod.Post, $"/task/{Uri.EscapeDataString(parse.GetValue(id)!)}/link", body, cancellationToken);
            if (parse.GetValue(json))
            {
                CliJson.Write(result);
                return ExitCodes.Success;
            }

            Console.WriteLine(Text(result, "url"));
            Console.Error.WriteLine($"valid until {Text(result, "expires_at")}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var json = CliJson.Option();
        var command = new Command("cancel", "Cancel a queued or running task") { id, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var result = await api.SendAsync(HttpMethod.Post, $"/task/{Uri.EscapeDataString(parse.GetValue(id)!)}/cancel", null, cancellationToken);
            if (parse.GetValue(json))
            {
                CliJson.Write(result);
                return ExitCodes.Success;
            }

            Console.WriteLine($"{Text(result, "task_id")}: {Text(result, "state")}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Logs()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events until the task ends" };
        var full = new Option<bool>("--full") { Description = "Show every text whole (messages, tool input and output), not cut to a line" };
        var json = CliJson.Option();
        var command = new Command("logs", "A task's events, each with the time it was stored, then its outcome") { id, follow, full, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, api =>
            LogsAsync(api, parse.GetValue(id)!, new LogsOptions(parse.GetValue(follow), parse.GetValue(full), parse.GetValue(json)), cancellationToken)));
        return command;
    }

    private static Command Transcript()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var json = CliJson.Option();
        var command = new Command("transcript", "The task's session transcript: messages, tool calls and results, whole, each with its time") { id, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var taskId = parse.GetValue(id)!;
            await foreach (var stored in EventsAsync(api, taskId, follow: false, cancellationToken))
            {
                foreach (var entry in Dashboard.TranscriptView.Entries(stored, SecretRedactor.FormatsOnly, Dashboard.TranscriptView.FullLength))
                {
                    if (parse.GetValue(json))
                    {
                        CliJson.Write(entry);
                        continue;
                    }

                    var text = TerminalText.Neutralize(entry.Text).TrimEnd().ReplaceLineEndings(Environment.NewLine + "    ");
                    Console.WriteLine($"{entry.At.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)}  {entry.Kind,-9} {TerminalText.Neutralize(entry.Title)}{(text.Length > 0 ? ": " + text : "")}");
                    if (entry.Input is { Length: > 0 } input)
                    {
                        Console.WriteLine("    " + TerminalText.Neutralize(input).ReplaceLineEndings(Environment.NewLine + "    "));
                    }
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private sealed record LogsOptions(bool Follow, bool Full, bool Json);

    /// <summary>Prints the task's events with their stored times (following until it ends with <c>-f</c>), then its outcome.</summary>
    private static async Task<int> LogsAsync(ApiClient api, string id, LogsOptions options, CancellationToken cancellationToken)
    {
        await foreach (var stored in EventsAsync(api, id, options.Follow, cancellationToken))
        {
            if (options.Json)
            {
                CliJson.Write(new { stored.Seq, stored.At, stored.Type, Data = ParseOrText(stored.Data) });
            }
            else if (EventRenderer.Render(stored, options.Full) is { } rendered)
            {
                Console.WriteLine(rendered);
            }
        }

        var task = await api.SendAsync(HttpMethod.Get, $"/task/{Uri.EscapeDataString(id)}", null, cancellationToken);
        if (!options.Json)
        {
            Console.WriteLine();
            PrintTask(task);
        }

        return Text(task, "state") == "succeeded" ? ExitCodes.Success : ExitCodes.CheckFailed;
    }

    /// <summary>
    /// The task's stored events, a page at a time from <c>GET /task/{id}/transcript</c>, each with the time it was
    /// stored; following, it asks again every second until the task has ended and nothing is left, riding out a
    /// service restart.
    /// </summary>
    private static async IAsyncEnumerable<StoredEvent> EventsAsync(ApiClient api, string id, bool follow, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long after = 0;
        var failures = 0;
        while (true)
        {
            JsonElement page;
            try
            {
                page = await api.SendAsync(HttpMethod.Get, $"/task/{Uri.EscapeDataString(id)}/transcript?after={after.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);
                failures = 0;
            }
            catch (ApiException e) when (follow && e.Status is null or System.Net.HttpStatusCode.ServiceUnavailable && ++failures < 20)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, failures)), cancellationToken);
                continue;
            }

            foreach (var item in page.GetProperty("events").EnumerateArray())
            {
                var stored = new StoredEvent(id, item.GetProperty("seq").GetInt64(), item.GetProperty("at").GetDateTimeOffset(), item.GetProperty("type").GetString() ?? "", item.GetProperty("data").GetString() ?? "");
                after = stored.Seq;
                yield return stored;
            }

            if (page.TryGetProperty("next_after", out var next) && next.ValueKind == JsonValueKind.Number)
            {
                continue;
            }

            // The state was read before the events: ended then, this short page was the last.
            if (!follow || IsFinal(Text(page, "state")))
            {
                yield break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private static bool IsFinal(string state) => TaskStateNames.All.Contains(state) && TaskStateNames.Parse(state).IsFinal();

    private static JsonElement ParseOrText(string data)
    {
        try
        {
            return JsonSerializer.Deserialize<JsonElement>(data);
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(data);
        }
    }

    private static void PrintTask(JsonElement task)
    {
        Console.WriteLine($"task {Text(task, "id")}: {Text(task, "state")} (agent {Text(task, "agent")}, thread {Text(task, "thread")}, attempt {Text(task, "attempt")})");
        Console.WriteLine($"  repo {Text(task, "repo")}{(Text(task, "base_ref") is { Length: > 0 } b ? $" from {b}" : "")}{(Text(task, "image") is { Length: > 0 } i ? $", image {i} (requested)" : "")}");
        foreach (var entry in task.GetProperty("history").EnumerateArray())
        {
            Console.WriteLine($"  {entry.GetProperty("at").GetDateTimeOffset().ToLocalTime():HH:mm:ss}  {Text(entry, "from"),-11} -> {Text(entry, "to"),-11} {Text(entry, "reason")}");
        }

        if (task.TryGetProperty("forge_writes", out var writes) && writes.ValueKind == JsonValueKind.Array)
        {
            foreach (var write in writes.EnumerateArray())
            {
                var error = Text(write, "last_error");
                Console.WriteLine($"  forge {Text(write, "kind"),-14} {Text(write, "state"),-8} after {Text(write, "attempts")} attempt(s){(error.Length > 0 ? $": {error}" : "")}");
            }
        }

        if (task.TryGetProperty("outcome", out var outcome) && outcome.ValueKind == JsonValueKind.Object)
        {
            Console.WriteLine($"  outcome: {Text(outcome, "status")} — {Text(outcome, "reason")}");
            Console.WriteLine($"  {OutcomeText.Format(outcome)} · session {(Text(outcome, "session_id") is { Length: > 0 } session ? session : "-")}");
            Console.WriteLine($"  branch {Text(outcome, "branch")}");
            if (outcome.TryGetProperty("pushed_commits", out var pushed) && pushed.ValueKind == JsonValueKind.Array)
            {
                foreach (var commit in pushed.EnumerateArray())
                {
                    Console.WriteLine($"    pushed {Text(commit, "sha")[..Math.Min(12, Text(commit, "sha").Length)]} {Text(commit, "subject")}");
                }
            }

            if (Text(outcome, "final_text") is { Length: > 0 } final)
            {
                Console.WriteLine();
                Console.WriteLine(final.Trim());
            }
        }
    }

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => TerminalText.Neutralize(value.GetString()),
                JsonValueKind.Null or JsonValueKind.Undefined => "",
                // An object or array is printed as its JSON, whose strings may hold what Neutralize removes.
                _ => TerminalText.Neutralize(value.GetRawText()),
            }
            : "";

    private static Task<int> RunAsync(ParseResult parse, Func<ApiClient, Task<int>> action) => ApiClient.RunAsync(parse, Url, action);
}
