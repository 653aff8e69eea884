using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Security;
using Docker.DotNet;

namespace ClaudeHooks.Cli;

/// <summary>
/// What a verb needs, built only when that verb runs: paths, config, engine client, loggers, and the redactor that
/// keeps every credential the config names out of the logs and out of whatever else the verb writes.
/// </summary>
internal sealed class CommandContext : IDisposable
{
    private readonly Lazy<AgentsConfig> _config;
    private readonly Lazy<DockerClient> _docker = new(DockerConnection.Create);

    public CommandContext(string? configPath)
    {
        Paths = ClaudeHooksPaths.FromEnvironment();
        (ConfigPath, ConfigOrigin) = ClaudeHooksPaths.LocateConfigFile(configPath);
        _config = new Lazy<AgentsConfig>(() => ConfigLoader.Load(ConfigPath, Paths));
        Redactor = new SecretRedactor(new SecretCatalog(SecretSources));
        LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder.AddRedactedConsole(Redactor).AddFilter("Microsoft", LogLevel.Warning));
    }

    /// <summary>Replaces the credentials of the config's agents, forge and API in a text; read when first used, re-read when a file changes.</summary>
    public SecretRedactor Redactor { get; }

    public ClaudeHooksPaths Paths { get; }

    public string ConfigPath { get; }

    /// <summary>Which step of the config search order chose <see cref="ConfigPath"/> (said in serve's start-up log).</summary>
    public string ConfigOrigin { get; }

    public AgentsConfig Config => _config.Value;

    public DockerClient Docker => _docker.Value;

    public ILoggerFactory LoggerFactory { get; }

    public async Task<DockerClient> ConnectAsync(CancellationToken cancellationToken)
    {
        await DockerConnection.EnsureReachableAsync(Docker, cancellationToken);
        return Docker;
    }

    /// <summary>A config that does not load names no secret files; the verb reports why it does not load.</summary>
    private IReadOnlyList<SecretSource> SecretSources()
    {
        try
        {
            return SecretCatalog.Sources(Config, Paths);
        }
        catch (ConfigException)
        {
            return [];
        }
    }

    public ContainerReconciler Reconciler() => new(Docker, Config, LoggerFactory.CreateLogger<ContainerReconciler>());

    public void Dispose()
    {
        if (_docker.IsValueCreated)
        {
            _docker.Value.Dispose();
        }

        LoggerFactory.Dispose();
    }

    /// <summary>Runs a verb, turning each known failure into one clear message and its exit code.</summary>
    public static async Task<int> RunAsync(string? configPath, Func<CommandContext, Task<int>> action)
    {
        using var context = new CommandContext(configPath);
        try
        {
            return await action(context);
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors)
            {
                await Console.Error.WriteLineAsync($"config error: {error}");
            }

            return ExitCodes.InvalidConfig;
        }
        catch (EngineUnavailableException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.EngineUnavailable;
        }
        catch (Gateway.GatewayException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.InvalidConfig;
        }
        catch (CredentialException e)
        {
            await Console.Error.WriteLineAsync($"credential error: {e.Message}");
            return ExitCodes.CredentialProblem;
        }
        catch (ContainerOperationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.OperationFailed;
        }
        catch (Persistence.SchemaTooNewException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.CheckFailed;
        }
        catch (Persistence.DatabaseBackupException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.OperationFailed;
        }
        catch (DockerApiException e)
        {
            await Console.Error.WriteLineAsync($"error: the Docker engine refused the request ({(int)e.StatusCode}): {(e.ResponseBody ?? "").Trim()}");
            return ExitCodes.OperationFailed;
        }
    }
}
