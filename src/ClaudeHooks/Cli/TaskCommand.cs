using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks task submit|show|list|cancel|logs</c>, against the running service's API. Text that came from a
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
        var command = new Command("submit", "Queue a task") { agent, repo, baseRef, thread, timeout, image, follow, prompt };
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
            Console.WriteLine(id);
            return parse.GetValue(follow) ? await FollowAsync(api, id, follow: true, cancellationToken) : ExitCodes.Success;
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var json = new Option<bool>("--json") { Description = "Print the API's JSON" };
        var command = new Command("show", "A task's state, history and outcome") { id, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var task = await api.SendAsync(HttpMethod.Get, $"/task/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(task, new JsonSerializerOptions { WriteIndented = true }));
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
        var command = new Command("list", "Tasks, newest first") { state, agent, repo, limit, before };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var query = new Dictionary<string, string?>
            {
                ["state"] = parse.GetValue(state), ["agent"] = parse.GetValue(agent), ["repo"] = parse.GetValue(repo),
                ["limit"] = parse.GetValue(limit).ToString(CultureInfo.InvariantCulture), ["before"] = parse.GetValue(before),
            };
            var path = "/tasks?" + string.Join('&', query.Where(q => q.Value is not null).Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value!)}"));
            var page = await api.SendAsync(HttpMethod.Get, path, null, cancellationToken);
            Table.Print(["ID", "AGENT", "STATE", "ATTEMPT", "THREAD", "CREATED", "REPO"], page.GetProperty("tasks").EnumerateArray().Select(t => new[]
            {
                Text(t, "id"), Text(t, "agent"), Text(t, "state"), Text(t, "attempt"), Text(t, "thread"),
                t.GetProperty("created_at").GetDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Text(t, "repo"),
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
        var command = new Command("link", "A signed, expiring, read-only dashboard link to the task, for people without the API token") { id, ttl };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var body = parse.GetValue(ttl) is { } value ? new Dictionary<string, object?> { ["ttl"] = value } : null;
            var result = await api.SendAsync(HttpMethod.Post, $"/task/{Uri.EscapeDataString(parse.GetValue(id)!)}/link", body, cancellationToken);
            Console.WriteLine(Text(result, "url"));
            Console.Error.WriteLine($"valid until {Text(result, "expires_at")}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var command = new Command("cancel", "Cancel a queued or running task") { id };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var result = await api.SendAsync(HttpMethod.Post, $"/task/{Uri.EscapeDataString(parse.GetValue(id)!)}/cancel", null, cancellationToken);
            Console.WriteLine($"{Text(result, "task_id")}: {Text(result, "state")}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Logs()
    {
        var id = new Argument<string>("id") { Description = "Task id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing events until the task ends" };
        var command = new Command("logs", "A task's events") { id, follow };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, api => FollowAsync(api, parse.GetValue(id)!, parse.GetValue(follow), cancellationToken)));
        return command;
    }

    /// <summary>Prints the task's events as they come (SSE, resuming with Last-Event-ID after a dropped connection), then its outcome.</summary>
    private static async Task<int> FollowAsync(ApiClient api, string id, bool follow, CancellationToken cancellationToken)
    {
        var path = $"/task/{Uri.EscapeDataString(id)}/events{(follow ? "" : "?follow=false")}";
        long last = 0;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
            if (last > 0)
            {
                request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
            }

            try
            {
                using var response = await api.SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw new ApiException($"{(int)response.StatusCode} {response.ReasonPhrase}: {TerminalText.Neutralize(await response.Content.ReadAsStringAsync(cancellationToken))}");
                }

                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
                string? type = null;
                long seq = 0;
                var ended = false;
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (line.StartsWith("id: ", StringComparison.Ordinal))
                    {
                        seq = long.Parse(line[4..], CultureInfo.InvariantCulture);
                    }
                    else if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        type = line[7..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
                    {
                        if (type == "end")
                        {
                            ended = true;
                        }
                        else if (EventRenderer.Render(new StoredEvent(id, seq, DateTimeOffset.Now, type, line[6..])) is { } rendered)
                        {
                            Console.WriteLine(rendered);
                        }

                        last = Math.Max(last, seq);
                        type = null;
                    }
                }

                if (ended || !follow)
                {
                    break;
                }
            }
            catch (IOException) when (follow)
            {
                // The connection dropped (the service restarted?): resume after the last event seen.
            }
            catch (ApiException) when (follow && attempt < 19)
            {
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt + 1)), cancellationToken);
        }

        var task = await api.SendAsync(HttpMethod.Get, $"/task/{Uri.EscapeDataString(id)}", null, cancellationToken);
        Console.WriteLine();
        PrintTask(task);
        return Text(task, "state") == "succeeded" ? ExitCodes.Success : ExitCodes.CheckFailed;
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
            Console.WriteLine($"  session {Text(outcome, "session_id")} · {Text(outcome, "turns")} turns · ${Text(outcome, "cost_usd")} · {Text(outcome, "duration_ms")} ms");
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
                _ => value.GetRawText(),
            }
            : "";

    private static Task<int> RunAsync(ParseResult parse, Func<ApiClient, Task<int>> action) => ApiClient.RunAsync(parse, Url, action);
}
