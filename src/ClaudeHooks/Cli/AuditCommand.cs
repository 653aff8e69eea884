using System.CommandLine;
using ClaudeHooks.Containers;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks audit</c>: checks the credential-isolation invariants live, per agent.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var agent = GlobalOptions.OptionalAgent();
        var standIn = new Option<string?>("--stand-in-token")
        {
            Description = "Value planted in each agent's token file while the audit runs (default: a random one); the original file is restored",
        };
        var json = CliJson.Option();
        var command = new Command("audit", "Check hardening and that no secret leaks into the agent containers; exits non-zero on any failure") { agent, standIn, json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var selected = context.Config.Select(parse.GetValue(agent));
            var findings = LocalFindings(selected);
            var agents = selected.Where(a => !a.IsLocal).ToList();
            if (agents.Count > 0)
            {
                var docker = await context.ConnectAsync(cancellationToken);
                var live = await LiveTaskKeysAsync(parse.GetValue(RunCommand.DataDirectory) ?? Database.DefaultDataDirectory, cancellationToken);
                await using var gateway = new Gateway.HostGateway(context.Config, context.Paths, null, _ => { }, TimeProvider.System, context.LoggerFactory);
                await gateway.StartAsync([], cancellationToken);
                findings = [.. findings, .. await new ContainerAuditor(new ContainerRuntime(docker), context.Config, context.Paths, gateway, live).AuditAsync(agents, parse.GetValue(standIn), cancellationToken)];
            }

            var failed = findings.Count(f => !f.Passed);
            if (parse.GetValue(json))
            {
                CliJson.Write(new { Passed = failed == 0, Checks = findings.Count, Failed = failed, Findings = findings });
                return failed == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
            }

            Table.Print(["AGENT", "RESULT", "CHECK", "DETAIL"], findings.Select(f => new[] { f.Agent, f.Passed ? "pass" : "FAIL", f.Check, f.Detail }).ToList());
            Console.WriteLine(failed == 0 ? $"audit passed: {findings.Count} checks" : $"audit FAILED: {failed} of {findings.Count} checks");
            return failed == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
        }));
        return command;
    }

    /// <summary>
    /// A local agent (<c>container.runtime: "local"</c>) has no container, and none of the isolation audit checks: it
    /// always fails, with what its tasks are not isolated from. Only a container runtime makes the audit pass.
    /// </summary>
    internal static IReadOnlyList<AuditFinding> LocalFindings(IEnumerable<Config.AgentConfig> agents) =>
    [
        .. agents.Where(a => a.IsLocal).Select(a => new AuditFinding(a.Name, "runs in a sandbox", false,
            $"runs Claude Code on the host (agents.{a.Name}.container.runtime \"local\"), so no sandbox check applies: {string.Join("; ", Agents.LocalMode.Gaps(a))}. Remove the key (or name a container runtime) for the audit to pass")),
    ];

    /// <summary>Keys of the tasks running under a live lease, which are the only ones a sandbox may serve; null without a database.</summary>
    internal static async Task<IReadOnlySet<string>?> LiveTaskKeysAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(dataDirectory, Database.FileName)))
        {
            return null;
        }

        var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(dataDirectory, cancellationToken), TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        var running = await store.ListTasksAsync(new TaskQuery(TaskState.Running, null, null, 10_000, null), cancellationToken);
        return running.Where(t => t.LeaseExpiresAt is null || t.LeaseExpiresAt > now).Select(t => ResourceNames.TaskKey(t.Id)).ToHashSet(StringComparer.Ordinal);
    }
}
