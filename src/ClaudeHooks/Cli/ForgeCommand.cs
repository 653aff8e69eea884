using System.CommandLine;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks forge check</c>: each agent's token (who it is, access to each repository) and each webhook secret.</summary>
internal static class ForgeCommand
{
    public static Command Create()
    {
        var check = new Command("check", "Verify each agent's forge token and access to each configured repository");
        check.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var config = context.Config;
            if (config.Forge is not { } forge)
            {
                await Console.Error.WriteLineAsync($"error: {config.FilePath} has no \"forge\" section; add one to connect a forge");
                return ExitCodes.InvalidConfig;
            }

            var failures = 0;
            void Report(bool ok, string what, string? fix = null)
            {
                Console.WriteLine(ok ? $"ok    {what}" : $"FAIL  {what}{(fix is null ? "" : $"\n      fix: {fix}")}");
                failures += ok ? 0 : 1;
            }

            var credentials = new AgentCredentials(context.Paths);
            // The service's own client, so a check meets the forge as the service does (retries, timeouts).
            await using var services = new ServiceCollection().AddForgeHttpClient().Services.BuildServiceProvider();
            var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(ForgeHttp.ClientName);
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
                        var client = new ForgejoClient(http, repository.ForgeUrl, credentials.ReadForgeToken(agent));
                        var user = await client.GetCurrentUserAsync(cancellationToken);
                        var same = string.Equals(user.Login, agent.ForgeUser, StringComparison.OrdinalIgnoreCase);
                        Report(same, $"{repository.FullName}: agent {agent.Name}'s token is {user.Login} on {repository.ForgeUrl}",
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

            Console.WriteLine(failures == 0 ? "forge check: everything answers as configured" : $"forge check: {failures} problem(s)");
            return failures == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
        }));

        var command = new Command("forge", "Forge integration");
        command.Subcommands.Add(check);
        return command;
    }
}
