using ClaudeHooks.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ClaudeHooks.Hosting;

/// <summary>Readiness: the database opens and answers a query.</summary>
internal sealed class DatabaseHealthCheck(Database database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM schema_migrations";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy($"database {database.FilePath} answers");
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            return HealthCheckResult.Unhealthy($"database {database.FilePath} cannot be read ({e.Message}); check the disk and the file's permissions");
        }
    }
}
