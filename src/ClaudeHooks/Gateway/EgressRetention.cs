using ClaudeHooks.Config;

namespace ClaudeHooks.Gateway;

/// <summary>Deletes egress records older than <c>service.egress_retention</c>: once at start, then every hour.</summary>
internal sealed partial class EgressRetention(EgressLog log, AgentsConfig config, TimeProvider clock, ILogger<EgressRetention> logger) : BackgroundService
{
    internal static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var purged = await PurgeAsync(stoppingToken);
                if (purged > 0)
                {
                    LogPurged(purged, Duration.Format(config.Service.EgressRetention));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                LogFailed(e.Message, Duration.Format(Interval));
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    internal Task<int> PurgeAsync(CancellationToken cancellationToken) =>
        log.PurgeAsync(clock.GetUtcNow() - config.Service.EgressRetention, cancellationToken);

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "egress log: {Count} records older than {Retention} deleted (service.egress_retention)")]
    private partial void LogPurged(int count, string retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "egress log: deleting old records failed ({Error}); trying again in {Interval}")]
    private partial void LogFailed(string error, string interval);
}
