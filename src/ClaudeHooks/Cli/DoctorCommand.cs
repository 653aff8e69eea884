using System.CommandLine;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using Docker.DotNet;

namespace ClaudeHooks.Cli;

/// <summary><c>claude-hooks doctor</c>: checks engine, images, networks, config and credentials, printing the fix for each failure.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var command = new Command("doctor", "Diagnose the installation and print the fix for each problem");
        command.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async context =>
        {
            var failures = 0;
            void Report(bool ok, string what, string? fix = null)
            {
                Console.WriteLine(ok ? $"ok    {what}" : $"FAIL  {what}{(fix is null ? "" : $"\n      fix: {fix}")}");
                failures += ok ? 0 : 1;
            }

            AgentsConfig config;
            try
            {
                config = context.Config;
                Report(true, $"config {context.ConfigPath}: {config.Agents.Count} agents ({string.Join(", ", config.Agents.Select(a => a.Name))})");
            }
            catch (ConfigException e)
            {
                foreach (var error in e.Errors)
                {
                    Report(false, $"config: {error}");
                }

                return ExitCodes.CheckFailed;
            }

            foreach (var agent in config.Agents)
            {
                foreach (var change in agent.HardeningOverrides)
                {
                    Console.WriteLine($"note  agent {agent.Name}: hardening override {change}");
                }

                if (agent.Container.HasNetwork)
                {
                    Console.WriteLine($"note  agent {agent.Name}: container.network \"{agent.Container.Network}\" is a route around the gateway{(agent.Container.NetworkAcknowledged ? " (acknowledged)" : "; audit fails it until agents." + agent.Name + ".container.network_acknowledged is true")}");
                }
            }

            Check(() => Gateway.HostGateway.PrepareRoot(config.GatewayRoot), $"gateway folder {config.GatewayRoot} (0700, sockets of every sandbox)", Report);
            CheckCredentials(context, config, Report);
            if (config.Images.ExtraCaBundle is { } bundle)
            {
                Check(() => ImageBuilder.ReadCaBundle(bundle), $"extra CA bundle {bundle}", Report);
            }

            try
            {
                var docker = await context.ConnectAsync(cancellationToken);
                var version = await docker.System.GetVersionAsync(cancellationToken);
                Report(true, $"docker engine {version.Version} (API {version.APIVersion}) at {DockerConnection.EndpointUri}");
                await CheckEngineAsync(docker, config, Report, cancellationToken);
            }
            catch (EngineUnavailableException e)
            {
                Report(false, "docker engine", e.Message);
            }

            Console.WriteLine(failures == 0 ? "doctor: everything looks right" : $"doctor: {failures} problem(s)");
            return failures == 0 ? ExitCodes.Success : ExitCodes.CheckFailed;
        }));
        return command;
    }

    private static void CheckCredentials(CommandContext context, AgentsConfig config, Action<bool, string, string?> report)
    {
        var credentials = new AgentCredentials(context.Paths);
        foreach (var agent in config.Agents)
        {
            Check(() => credentials.ReadForgeToken(agent), $"agent {agent.Name}: forge token {credentials.ForgeTokenFile(agent)}", report);
            if (agent.ClaudeAuth.Kind == ClaudeAuthKind.CredentialsDirectory)
            {
                Check(() => Gateway.ModelCredential.Read(agent, TimeProvider.System), $"agent {agent.Name}: Claude login in {agent.ClaudeAuth.Path} (read by the gateway at each request)", report);
            }
            else
            {
                Check(() => AgentCredentials.ReadClaudeAuth(agent), $"agent {agent.Name}: Claude auth {agent.ClaudeAuth.ConfigKey} {agent.ClaudeAuth.Path}", report);
            }
        }
    }

    private static async Task CheckEngineAsync(DockerClient docker, AgentsConfig config, Action<bool, string, string?> report, CancellationToken cancellationToken)
    {
        var info = await docker.System.GetSystemInfoAsync(cancellationToken);
        foreach (var runtime in config.Agents.Select(a => a.Container.Runtime).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            report(info.Runtimes?.ContainsKey(runtime) ?? false, $"runtime {runtime}", $"install it and register it with dockerd, or remove container.runtime (engine has: {string.Join(", ", info.Runtimes?.Keys ?? [])})");
        }

        var status = await new EngineHealth(docker, config).CheckAsync(cancellationToken);
        foreach (var problem in status.Problems)
        {
            report(false, problem.Split(';')[0], problem.Contains(';', StringComparison.Ordinal) ? problem[(problem.IndexOf(';', StringComparison.Ordinal) + 1)..].Trim() : null);
        }

        report(status.ImageAvailable, $"images ({string.Join(", ", config.Agents.Select(a => a.Image).Distinct(StringComparer.Ordinal))})", "run 'claude-hooks images build'");
        report(status.NetworkExists, "agent networks", "run 'claude-hooks containers up'");
        foreach (var agent in status.Agents.Where(a => a.State != "missing"))
        {
            var healthy = agent.State == "running" && agent.Health is "healthy" or "starting" or "none";
            report(healthy, $"agent {agent.Name}: container {agent.Container} {agent.State}, health {agent.Health}", $"run 'claude-hooks containers up {agent.Name}', then 'claude-hooks containers logs {agent.Name}'");
        }
    }

    private static void Check(Action action, string what, Action<bool, string, string?> report)
    {
        try
        {
            action();
            report(true, what, null);
        }
        catch (Exception e) when (e is CredentialException or ConfigException or ContainerOperationException or Gateway.GatewayException)
        {
            report(false, what, e.Message);
        }
    }
}
