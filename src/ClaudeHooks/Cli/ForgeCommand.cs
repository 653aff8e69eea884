using System.CommandLine;
using System.Globalization;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge;
using ClaudeHooks.Forge.GitHub;
using ClaudeHooks.Persistence;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks forge check</c>: each agent's token (who it is, access to each repository) and each webhook secret;
/// <c>claude-hooks forge deliveries</c>: the webhook deliveries and what came of them.
/// </summary>
internal static class ForgeCommand
{
    public static Command Create()
    {
        var checkJson = CliJson.Option();
        var check = new Command("check", "Verify each agent's forge token and access to each configured repository") { checkJson };
        check.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config;
            if (config.Forge is not { } forge)
            {
                await Console.Error.WriteLineAsync($"error: {config.FilePath} has no \"forge\" section; add one to connect a forge");
                return ExitCodes.InvalidConfig;
            }

            var failures = 0;
            var json = parse.GetValue(checkJson);
            var checks = new List<object>();
            void Report(bool ok, string what, string? fix = null)
            {
                if (json)
                {
                    checks.Add(new { Ok = ok, Check = what, Fix = fix });
                }
                else
                {
                    Console.WriteLine(ok ? $"ok    {what}" : $"FAIL  {what}{(fix is null ? "" : $"\n      fix: {fix}")}");
                }

                failures += ok ? 0 : 1;
            }

            // The service's own client, so a check meets the forge as the service does (retries, timeouts).
            await using var services = new ServiceCollection().AddForgeHttpClient().Services.BuildServiceProvider();
            var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(ForgeHttp.ClientName);
            var apps = new GitHubAppTokens(http, TimeProvider.System);
            var forgeCredentials = new ForgeCredentials(context.Paths, apps, TimeProvider.System);
            foreach (var repository in forge.Repositories)
            {
                try
                {
                    AgentCredentials.ReadSecretFile(repository.WebhookSecretFile, $"the webhook secret of {repository.FullName}");
                    Report(true, $"{repository.FullName}: webhook secret {repository.WebhookSecretFile}");
                }
                catch (CredentialException e)
                {
                    Report(false, $"{repository.FullName}: webhook secret", e.Message);
                }

                foreach (var agent in config.Agents)
                {
                    try
                    {
                        if (repository.Kind == ForgeKind.GitHub && agent.GitHubApp is { } app)
                        {
                            // An App is checked by its own JWT (who it is) and by minting a token for this repository (that it is installed there).
                            var slug = await apps.SlugAsync(agent, app, repository, cancellationToken);
                            var bot = $"{slug}[bot]";
                            var named = string.Equals(bot, agent.ForgeUser, StringComparison.OrdinalIgnoreCase);
                            Report(named, $"{repository.FullName}: agent {agent.Name} is GitHub App {app.AppId} ({bot}) on {repository.ApiUrl}",
                                named ? null : $"the App's account is {bot}, but agents.{agent.Name}.forge_user is {agent.ForgeUser}; set forge_user to {bot}");
                            var minted = await apps.MintAsync(agent, app, repository, cancellationToken);
                            Report(true, $"{repository.FullName}: App {app.AppId} is installed there; a token scoped to it was minted (expires {minted.ExpiresAt:u})");
                            continue;
                        }

                        var client = ForgeClients.Create(http, agent, repository, forgeCredentials, context.Paths, null);
                        var user = await client.GetCurrentUserAsync(cancellationToken);
                        var same = string.Equals(user.Login, agent.ForgeUser, StringComparison.OrdinalIgnoreCase);
                        Report(same, $"{repository.FullName}: agent {agent.Name}'s token is {user.Login} on {(repository.Kind == ForgeKind.GitHub ? repository.ApiUrl : repository.ForgeUrl)}",
                            same ? null : $"the token belongs to {user.Login}, but agents.{agent.Name}.forge_user is {agent.ForgeUser}; use that account's token");
                        var permission = await client.GetPermissionAsync(repository.FullName, agent.ForgeUser, cancellationToken);
                        var enough = permission is "write" or "admin" or "owner";
                        Report(enough, $"{repository.FullName}: {agent.ForgeUser} has {permission} access",
                            enough ? null : $"add {agent.ForgeUser} as a collaborator with write access");
                    }
                    catch (Exception e) when (e is ForgeApiException or CredentialException)
                    {
                        Report(false, $"{repository.FullName}: agent {agent.Name}", e.Message);
                    }
                }
            }

            if (json)
            {
                CliJson.Write(new { Ok = failures == 0, Failures = failures, Checks = checks });
            }
            else
            {
                Console.WriteLine(failures == 0 ? "forge check: everything answers as configured" : $"forge check: {failures} problem(s)");
            }

            return failures == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
        }));

        var command = new Command("forge", "Forge integration");
        command.Subcommands.Add(check);
        command.Subcommands.Add(Deliveries());
        return command;
    }

    /// <summary>
    /// <c>claude-hooks forge deliveries [--dead] [--limit N]</c>: the latest webhook deliveries and what came of each, read from
    /// the service's database (<c>--data-dir</c>) like <c>claude-hooks run</c> does, so it answers while the service is down.
    /// </summary>
    private static Command Deliveries()
    {
        var dead = new Option<bool>("--dead") { Description = "Only deliveries given up after their last attempt" };
        var limit = new Option<int>("--limit") { Description = "How many (newest first, 1 to 1000)", DefaultValueFactory = _ => 50 };
        var json = CliJson.Option();
        var command = new Command("deliveries", "Recent webhook deliveries: event, repository, attempts, and the outcome or the next attempt") { dead, limit, json };
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var count = parse.GetValue(limit);
            if (count is < 1 or > 1000)
            {
                await Console.Error.WriteLineAsync($"error: --limit {count} is out of range; give 1 to 1000");
                return ExitCodes.InvalidConfig;
            }

            var directory = parse.GetValue(RunCommand.DataDirectory) ?? Database.DefaultDataDirectory;
            if (!File.Exists(Path.Combine(directory, Database.FileName)))
            {
                await Console.Error.WriteLineAsync($"error: no database in {directory}; pass the service's --data-dir");
                return ExitCodes.InvalidConfig;
            }

            var store = new SqliteTaskStore(await Database.OpenAndMigrateAsync(directory, cancellationToken), TimeProvider.System);
            var deliveries = await store.ListDeliveriesAsync(parse.GetValue(dead), count, cancellationToken);
            // Event names, repositories and errors come from the forge and from payloads: printed inert, credentials replaced.
            string Show(string? text) => EgressCommand.Inert(context.Redactor.Redact(text ?? "").Text);
            string? Redacted(string? text) => text is null ? null : context.Redactor.Redact(text).Text;
            if (parse.GetValue(json))
            {
                foreach (var d in deliveries)
                {
                    CliJson.Write(new
                    {
                        Id = Redacted(d.DeliveryId), Event = Redacted(d.EventType), Action = Redacted(d.Action), Repo = Redacted(d.Repo), d.ReceivedAt, d.Attempts,
                        Outcome = Redacted(d.Outcome), d.NextAttemptAt, LastError = Redacted(d.LastError),
                    });
                }

                return ExitCodes.Success;
            }

            Table.Print(["ID", "EVENT", "REPO", "RECEIVED", "ATTEMPTS", "OUTCOME"], deliveries.Select(d => new[]
            {
                Show(d.DeliveryId), Show(d.Action is null ? d.EventType : $"{d.EventType}/{d.Action}"), Show(d.Repo), Time(d.ReceivedAt),
                d.Attempts.ToString(CultureInfo.InvariantCulture), Show(Outcome(d)),
            }).ToList());
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Outcome(DeliveryRecord delivery) => (delivery.Outcome, delivery.NextAttemptAt) switch
    {
        ({ } outcome, _) => outcome,
        (null, { } next) => $"pending: attempt {delivery.Attempts} of {ForgeDispatcher.MaxAttempts} failed ({delivery.LastError}); next attempt {Time(next)}",
        _ => "pending",
    };

    private static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
