using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks budget</c>: today's (UTC) spend per agent and repository against every daily cap, from the running service.</summary>
internal static class BudgetCommand
{
    private static readonly Option<string> Url = new("--url") { Description = "The service (default: $CLAUDE_HOOKS_URL or http://127.0.0.1:8080)", DefaultValueFactory = _ => ApiClient.DefaultUrl };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "The API's answer as JSON" };
        var command = new Command("budget", "Today's spend (UTC day, as the gateway counted it) against the daily caps in budgets") { Url, json };
        command.SetAction((parse, cancellationToken) => ApiClient.RunAsync(parse, Url, async api =>
        {
            var budget = await api.SendAsync(HttpMethod.Get, "/budget", null, cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(budget, new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Success;
            }

            Print(budget);
            return ExitCodes.Success;
        }));
        return command;
    }

    internal static void Print(JsonElement budget)
    {
        Console.WriteLine($"day {Text(budget, "day")} (UTC); caps free at {Text(budget, "resets_at")}");
        Console.WriteLine();
        Table.Print(["agent", "spent", "cap", "left", "requests", "tokens in/out", "cap key"], Rows(budget, "agents"));
        Console.WriteLine();
        var repositories = Rows(budget, "repositories");
        if (repositories.Count == 0)
        {
            Console.WriteLine("repositories: nothing spent today");
        }
        else
        {
            Table.Print(["repository", "spent", "cap", "left", "requests", "tokens in/out", "cap key"], repositories);
        }

        if (budget.TryGetProperty("loop_breaker", out var breaker) && breaker.ValueKind == JsonValueKind.Object)
        {
            Console.WriteLine();
            Console.WriteLine($"loop breaker: at most {breaker.GetProperty("max_tasks_per_pull_request").GetInt32()} task(s) per pull request in {Text(breaker, "window")}");
        }
    }

    private static List<string[]> Rows(JsonElement budget, string name) =>
        budget.TryGetProperty(name, out var rows) && rows.ValueKind == JsonValueKind.Array
            ? [.. rows.EnumerateArray().Select(r => new[]
            {
                Security.TerminalText.Neutralize(Text(r, "name")),
                Usd(r, "spent_usd"),
                Usd(r, "cap_usd"),
                Usd(r, "remaining_usd") + (r.TryGetProperty("reached", out var reached) && reached.ValueKind == JsonValueKind.True ? " (reached)" : ""),
                Number(r, "requests"),
                $"{Number(r, "input_tokens")}/{Number(r, "output_tokens")}",
                Text(r, "config_key") is { Length: > 0 } key ? key : "-",
            })]
            : [];

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    // Token counts and spend add up what the model's answers said they used: a figure past long or decimal shows
    // as "-" instead of ending the table with a FormatException.
    private static string Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number.ToString(CultureInfo.InvariantCulture) : "-";

    private static string Usd(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var usd)
            ? "$" + usd.ToString("0.00", CultureInfo.InvariantCulture)
            : "-";
}
