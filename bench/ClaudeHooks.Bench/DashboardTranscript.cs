using System.Text;
using System.Text.Json;
using ClaudeHooks.Agents;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Bench;

/// <summary>
/// A run's stored events as the runner writes them: its start (image, sandbox, checkout, CLI start, system/init),
/// then turns of assistant text, thinking, tool calls and tool results of a few KB (some failed), with stderr lines,
/// API retries and gateway denials among them, and for an ended run the result and the runner's outcome last.
/// </summary>
internal static class DashboardTranscript
{
    private const string Model = "claude-sonnet-4-5";

    /// <summary>Claude Code writes markup and non-ASCII as they are, not as \u escapes.</summary>
    private static readonly JsonSerializerOptions Raw = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] Lines =
    [
        "    public async Task<IResult> HandleAsync(HttpContext context, CancellationToken cancellationToken)",
        "        if (context.Request.ContentLength is > MaxBodyBytes)",
        "            return TypedResults.Problem(statusCode: 413, detail: $\"the body is over {MaxBodyBytes} bytes\");",
        "        var body = await JsonSerializer.DeserializeAsync<Payload>(context.Request.Body, Options, cancellationToken);",
        "  PASS  tests/handler.test.ts (12 tests) 184 ms",
        "error[E0308]: mismatched types: expected `&str`, found `String` <-- see src/lib.rs:42",
        "src/Webhooks/Handler.cs(88,17): warning CA2007: Consider calling ConfigureAwait on the awaited task",
        "diff --git a/src/Webhooks/Handler.cs b/src/Webhooks/Handler.cs",
        "-        var body = await reader.ReadToEndAsync();",
        "+        var body = await reader.ReadToEndAsync(cancellationToken);",
        "      <li class=\"item\">Größe &amp; Länge – naïve café ✓</li>",
        "    Assert.Equal(StatusCodes.Status413PayloadTooLarge, response.StatusCode);",
    ];

    private static readonly (string Tool, Func<Random, object> Input)[] Tools =
    [
        ("Bash", r => new { command = $"dotnet test tests/Api.Tests --filter Handler{r.Next(40)} 2>&1 | tail -40", description = "Run the handler tests" }),
        ("Read", r => new { file_path = $"/home/claude/work/acme-api/src/Webhooks/Handler{r.Next(12)}.cs" }),
        ("Edit", r => new { file_path = "/home/claude/work/acme-api/src/Webhooks/Handler.cs", old_string = Lines[8], new_string = Lines[9] }),
        ("Grep", r => new { pattern = "MaxBodyBytes", path = "/home/claude/work/acme-api/src", output_mode = "content" }),
        ("Glob", r => new { pattern = "**/*Handler*.cs" }),
        ("TodoWrite", r => new { todos = new[] { new { content = "Check the size first", status = "completed" }, new { content = "Add tests", status = "in_progress" } } }),
    ];

    /// <summary><paramref name="count"/> events of one run; it ends with the result and the outcome when <paramref name="outcome"/> is given.</summary>
    public static IEnumerable<(string Type, string Data)> Events(Random random, string taskId, string agent, int count, RunOutcome? outcome)
    {
        var session = Guid.NewGuid().ToString();
        var cwd = $"/home/claude/work/{taskId}";
        var events = new List<(string, string)>(count)
        {
            ("runner/image", Json(new { image = "claude-hooks/agent-dotnet:latest", chosen_by = "repository", source = "images.repositories", runtime = "runc" })),
            ("runner/sandbox", Json(new { name = $"claude-hooks-{agent}-task-{taskId[^8..]}", warm = true, create_ms = 412 })),
            ("runner/checkout", Json(new { branch = $"{agent}/issue-4242", start = "9f1c2e7d4b3a", path = cwd })),
            ("runner/start", Json(new { session_id = session, resume = false, cwd, argv = new[] { "claude", "-p", "--output-format=stream-json", "--verbose", "--max-turns=100" } })),
            ("system/init", Json(new
            {
                type = "system", subtype = "init", cwd, session_id = session, tools = new[] { "Bash", "Read", "Edit", "Write", "Grep", "Glob", "TodoWrite", "WebFetch" },
                model = Model, permissionMode = "bypassPermissions", claude_code_version = "2.0.37", uuid = Guid.NewGuid().ToString(),
            })),
        };
        var body = count - (outcome is null ? 0 : 2);
        var turn = 0;
        while (events.Count < body)
        {
            turn++;
            var message = $"msg_{random.NextInt64():x16}";
            var usage = new { input_tokens = random.Next(3, 40), output_tokens = random.Next(20, 900), cache_read_input_tokens = random.Next(10_000, 120_000) };
            if (random.Next(10) == 0)
            {
                events.Add(("assistant", Assistant(session, message, usage, new { type = "thinking", thinking = Text(random, 200, 1_200), signature = "EqoBCkgIBhABGAIiQ" })));
            }

            if (random.Next(10) < 6)
            {
                events.Add(("assistant", Assistant(session, message, usage, new { type = "text", text = Text(random, 80, 700) })));
            }

            var (tool, input) = Tools[random.Next(Tools.Length)];
            var call = $"toolu_{random.NextInt64():x16}";
            events.Add(("assistant", Assistant(session, message, usage, new { type = "tool_use", id = call, name = tool, input = input(random) })));
            var failed = random.Next(25) == 0;
            events.Add(("user/tool_result", Json(new
            {
                type = "user",
                message = new { role = "user", content = new[] { new { tool_use_id = call, type = "tool_result", content = Text(random, 600, 4_000), is_error = failed } } },
                parent_tool_use_id = (string?)null, session_id = session, uuid = Guid.NewGuid().ToString(),
            })));
            if (turn % 40 == 0)
            {
                events.Add(("gateway/denied", Json(new
                {
                    route = "egress", host = "registry.npmjs.org", method = "GET", path = $"/left-pad-{turn}",
                    message = "registry.npmjs.org is not in agents.dev.egress_allow; add it there to allow it",
                })));
            }

            if (turn % 25 == 0)
            {
                events.Add(("runner/stderr", Json(new { line = $"npm warn deprecated inflight@1.0.6: this module is not supported (turn {turn})" })));
            }

            if (turn % 400 == 0)
            {
                events.Add(("system/api_retry", Json(new { type = "system", subtype = "api_retry", attempt = 1, retry_delay_ms = 2_000, error = "overloaded_error", error_status = 529, session_id = session })));
            }
        }

        events.RemoveRange(body, events.Count - body);
        if (outcome is not null)
        {
            events.Add(("result", Json(new
            {
                type = "result", subtype = outcome.Status == RunStatus.Succeeded ? "success" : "error_during_execution", is_error = outcome.Status != RunStatus.Succeeded,
                duration_ms = outcome.DurationMs, num_turns = outcome.Turns, result = outcome.FinalText ?? outcome.Reason, session_id = session, total_cost_usd = outcome.CostUsd,
                usage = new { input_tokens = 1_200, output_tokens = 48_000, cache_read_input_tokens = 3_400_000 },
            })));
            events.Add(("runner/outcome", JsonSerializer.Serialize(outcome, OutcomeJson.Options)));
        }

        return events;
    }

    private static string Assistant(string session, string message, object usage, object block) => Json(new
    {
        type = "assistant",
        message = new { id = message, type = "message", role = "assistant", model = Model, content = new[] { block }, stop_reason = (string?)null, usage },
        parent_tool_use_id = (string?)null,
        session_id = session,
        uuid = Guid.NewGuid().ToString(),
    });

    /// <summary>Lines of code, diffs and tool output (markup and non-ASCII among them) up to a length between the bounds.</summary>
    private static string Text(Random random, int min, int max)
    {
        var length = random.Next(min, max);
        var text = new StringBuilder(length + 200);
        var n = random.Next(1, 400);
        while (text.Length < length)
        {
            text.Append(n++).Append('\t').Append(Lines[random.Next(Lines.Length)]).Append('\n');
        }

        return text.ToString();
    }

    private static string Json(object value) => JsonSerializer.Serialize(value, Raw);
}
