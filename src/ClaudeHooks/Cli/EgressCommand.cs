using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks egress log</c>: the gateway's audit log of what sandboxes sent out, from the running service's API.</summary>
internal static class EgressCommand
{
    private const int FollowPageSize = 1000;
    private const int MaxFailedPolls = 20;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private static readonly Option<string> Url = new("--url") { Description = "The service (default: $CLAUDE_HOOKS_URL or http://127.0.0.1:8080)", DefaultValueFactory = _ => ApiClient.DefaultUrl, Recursive = true };

    public static Command Create()
    {
        var command = new Command("egress", "What sandboxes sent out through the gateway, allowed or denied") { Url };
        command.Subcommands.Add(Log());
        return command;
    }

    private static Command Log()
    {
        var task = new Option<string?>("--task") { Description = "Only this task's requests" };
        var agent = new Option<string?>("--agent") { Description = "Only this agent's requests" };
        var denied = new Option<bool>("--denied") { Description = "Only denied requests" };
        var since = new Option<string?>("--since") { Description = "From this time on: a timestamp (2026-11-23T09:00:00Z) or how long ago (15m, 2h, 7d)" };
        var after = new Option<long?>("--after") { Description = "Page: records after this id (the \"more\" of the previous page)" };
        var limit = new Option<int>("--limit") { Description = "How many records (1 to 1000); the newest unless --since or --after is given", DefaultValueFactory = _ => 50 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new records as they come (Ctrl-C stops)" };
        var json = CliJson.Option();
        var command = new Command("log", "Requests through the gateway, oldest first: the newest ones, or those from --since or --after on") { task, agent, denied, since, after, limit, follow, json };
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async api =>
        {
            var filters = new Dictionary<string, string?>
            {
                ["task"] = parse.GetValue(task), ["agent"] = parse.GetValue(agent),
                ["decision"] = parse.GetValue(denied) ? "denied" : null, ["since"] = parse.GetValue(since),
            };
            var start = parse.GetValue(after);
            var first = new Dictionary<string, string?>(filters)
            {
                ["limit"] = parse.GetValue(limit).ToString(CultureInfo.InvariantCulture),
                ["after"] = start?.ToString(CultureInfo.InvariantCulture),
                ["latest"] = start is null && filters["since"] is null ? "true" : null,
            };
            var printer = new RecordPrinter(parse.GetValue(json));
            var page = await api.SendAsync(HttpMethod.Get, PathAndQuery(first), null, cancellationToken);
            var cursor = printer.Print(page, start ?? 0);
            if (!parse.GetValue(follow))
            {
                if (page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.Number)
                {
                    Console.WriteLine($"more: --after {next.GetInt64()}");
                }

                return ExitCodes.Success;
            }

            return await FollowAsync(api, filters, printer, cursor, cancellationToken);
        }));
        return command;
    }

    /// <summary>Polls for records after the cursor until cancelled, riding out a service restart.</summary>
    private static async Task<int> FollowAsync(ApiClient api, Dictionary<string, string?> filters, RecordPrinter printer, long cursor, CancellationToken cancellationToken)
    {
        var failures = 0;
        try
        {
            while (true)
            {
                JsonElement page;
                try
                {
                    page = await api.SendAsync(HttpMethod.Get, PathAndQuery(new Dictionary<string, string?>(filters)
                    {
                        ["after"] = cursor.ToString(CultureInfo.InvariantCulture), ["limit"] = FollowPageSize.ToString(CultureInfo.InvariantCulture),
                    }), null, cancellationToken);
                    failures = 0;
                }
                catch (ApiException) when (++failures < MaxFailedPolls)
                {
                    await Task.Delay(PollInterval * failures, cancellationToken);
                    continue;
                }

                cursor = printer.Print(page, cursor);
                if (!(page.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.Number))
                {
                    await Task.Delay(PollInterval, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
    }

    private static string PathAndQuery(Dictionary<string, string?> query) =>
        "/egress?" + string.Join('&', query.Where(q => q.Value is not null).Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value!)}"));

    /// <summary>
    /// Replaces each character <see cref="Security.TerminalText.IsUnsafe"/> names with '?': a record's host, path and
    /// rule come from what a sandbox sent and must not move the cursor, recolour, reorder or hide what the operator reads.
    /// </summary>
    internal static string Inert(string text) => Security.TerminalText.Masked(text, '?');

    internal static string Size(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#}k"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#}M"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.#}G"),
    };

    private static Task<int> RunAsync(ParseResult parse, Func<ApiClient, Task<int>> action) => ApiClient.RunAsync(parse, Url, action);

    /// <summary>Prints pages as one table whose header and column widths are set by the first page.</summary>
    private sealed class RecordPrinter(bool json)
    {
        private static readonly string[] Headers = ["TIME", "TASK", "AGENT", "ROUTE", "DECISION", "STATUS", "METHOD", "HOST", "PATH", "OUT/IN", "RULE"];
        private static readonly int[] MinimumWidths = [19, 4, 5, 5, 8, 6, 6, 4, 4, 6, 4];
        private int[]? _widths;

        /// <summary>Prints the page's records; returns the id of the last one, or <paramref name="cursor"/> if none.</summary>
        public long Print(JsonElement page, long cursor)
        {
            var records = page.GetProperty("records").EnumerateArray().ToList();
            if (json)
            {
                foreach (var record in records)
                {
                    CliJson.Write(record);
                }
            }
            else
            {
                var rows = records.Select(Row).ToList();
                if (_widths is null)
                {
                    _widths = Headers.Select((h, i) => Math.Max(Math.Max(h.Length, MinimumWidths[i]), rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
                    Write(Headers);
                }

                foreach (var row in rows)
                {
                    Write(row);
                }
            }

            return records.Count == 0 ? cursor : records[^1].GetProperty("id").GetInt64();
        }

        private void Write(string[] cells) =>
            Console.WriteLine(string.Join("  ", cells.Select((c, i) => c.PadRight(_widths![i]))).TrimEnd());

        private static string[] Row(JsonElement record)
        {
            var time = record.GetProperty("time").TryGetDateTimeOffset(out var at)
                ? at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                : Text(record, "time");
            return
            [
                time, Text(record, "task"), Text(record, "agent"), Text(record, "route"), Text(record, "decision"), Text(record, "status"),
                Text(record, "method"), Text(record, "host"), Text(record, "path"),
                $"{Size(Number(record, "bytes_out"))}/{Size(Number(record, "bytes_in"))}", Text(record, "rule"),
            ];
        }

        private static long Number(JsonElement record, string name) =>
            record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;

        private static string Text(JsonElement record, string name) =>
            Inert(record.TryGetProperty(name, out var value)
                ? value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString()!,
                    JsonValueKind.Null or JsonValueKind.Undefined => "",
                    _ => value.GetRawText(),
                }
                : "");
    }
}
