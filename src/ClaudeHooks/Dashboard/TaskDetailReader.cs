using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Forge;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Dashboard;

/// <summary>Builds a task's page from its row, history, outcome and forge side; every text a task or forge put there is redacted again.</summary>
internal static class TaskDetailReader
{
    public static async Task<TaskDetailView?> ReadAsync(string id, ITaskStore store, IForgeStore forge, AgentsConfig config, SecretRedactor redactor, CancellationToken cancellationToken, BudgetLedger? ledger = null)
    {
        var task = await store.GetTaskAsync(id, cancellationToken);
        if (task is null)
        {
            return null;
        }

        var history = await store.GetHistoryAsync(id, cancellationToken);
        var forgeTask = await forge.GetForgeTaskAsync(id, cancellationToken);
        var writes = await forge.ListIntentsAsync(id, cancellationToken);
        string Clean(string text) => redactor.Redact(text).Text;
        var metered = ledger is null ? null : (await ledger.TaskSpendAsync([id], cancellationToken)).GetValueOrDefault(id);
        var hold = ledger is null ? null : await ledger.HoldOfAsync(id, cancellationToken);
        return new TaskDetailView(
            task.Id, task.Agent, Clean(task.Repo), task.BaseRef is { } baseRef ? Clean(baseRef) : null, Clean(task.Thread), Clean(task.Prompt), task.State.ToName(), task.Attempt, task.Performer,
            task.Image is { } image ? Clean(image) : null,
            task.CreatedAt, task.UpdatedAt, task.Timeout is { } timeout ? Duration.Format(timeout) : null, task.CancelRequested,
            [.. history.Select(h => new HistoryRow(h.At, h.From?.ToName(), h.To.ToName(), Clean(h.Reason)))],
            task.OutcomeJson is { } outcome ? Outcome(Clean(outcome)) : null,
            forgeTask is null ? null : Forge(forgeTask, config),
            [.. writes.Select(w => new ForgeWriteRow(w.Kind, w.State, w.Attempts, w.LastError is { } error ? Clean(error) : null))])
        {
            CostUsd = BudgetCosts.Cost(task.OutcomeJson, metered),
            MeteredCostUsd = metered?.Usd,
            BudgetHold = hold?.Reason,
        };
    }

    /// <summary>The outcome JSON as the page shows it; a field that is missing or of another type is left out, never an error.</summary>
    internal static OutcomeView? Outcome(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            long? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
            long? input = null, output = null, cacheRead = null;
            if (Text(root, "usage_json") is { } usageText)
            {
                try
                {
                    using var usage = JsonDocument.Parse(usageText);
                    if (usage.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        input = Number(usage.RootElement, "input_tokens");
                        output = Number(usage.RootElement, "output_tokens");
                        cacheRead = Number(usage.RootElement, "cache_read_input_tokens");
                    }
                }
                catch (JsonException)
                {
                }
            }

            var commits = root.TryGetProperty("pushed_commits", out var pushed) && pushed.ValueKind == JsonValueKind.Array
                ? pushed.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.Object).Select(c => new CommitRow(Text(c, "sha") ?? "", Text(c, "subject") ?? "")).ToList()
                : [];
            return new OutcomeView(
                Text(root, "status") ?? "",
                Text(root, "reason") ?? "",
                root.TryGetProperty("cost_usd", out var cost) && cost.ValueKind == JsonValueKind.Number ? cost.GetDecimal() : null,
                (int)(Number(root, "turns") ?? 0),
                input, output, cacheRead,
                Number(root, "duration_ms") ?? 0,
                Text(root, "branch"),
                commits,
                Text(root, "session_id"),
                root.TryGetProperty("resumed", out var resumed) && resumed.ValueKind == JsonValueKind.True,
                Text(root, "final_text"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TaskForgeView Forge(ForgeTask task, AgentsConfig config)
    {
        var repository = config.Forge?.Find(task.Repo);
        var numberPath = task.Kind == ForgeWork.Implement ? "issues" : "pulls";
        return new TaskForgeView(
            task.Repo, task.Kind, task.Number,
            ForgeLinks.Web(repository, $"{numberPath}/{task.Number}"),
            task.PullNumber,
            task.PullNumber is { } pull ? ForgeLinks.Web(repository, $"pulls/{pull}") : null,
            DashboardPaths.WorkItem(task.Repo, task.Number));
    }
}
