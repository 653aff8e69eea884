using System.CommandLine;
using System.Globalization;
using ClaudeHooks.Persistence;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks db backup PATH</c>: a consistent copy of the service's database, safe to take while <c>serve</c>
/// runs. It reads the database of <c>--data-dir</c> as it is: no migration, so a database a newer build wrote can be
/// copied too.
/// </summary>
internal static class DbCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "The new file to write; an existing one is refused" };
        var json = CliJson.Option();
        var backup = new Command("backup", "Copy the database, consistently, while the service runs") { path, json };
        backup.SetAction((parse, cancellationToken) => CommandContext.RunAsync(parse.GetValue(GlobalOptions.Config), async _ =>
        {
            var dataDirectory = parse.GetValue(RunCommand.DataDirectory) ?? Database.DefaultDataDirectory;
            var file = Path.Combine(dataDirectory, Database.FileName);
            if (!File.Exists(file))
            {
                await Console.Error.WriteLineAsync($"error: no database at {file}; pass --data-dir DIR, the folder claude-hooks serve uses (default {Database.DefaultDataDirectory})");
                return ExitCodes.OperationFailed;
            }

            var copy = await DatabaseBackup.CreateAsync(new Database(dataDirectory), parse.GetValue(path)!, cancellationToken);
            if (parse.GetValue(json))
            {
                CliJson.Write(new { Source = file, copy.Path, copy.Bytes, copy.SchemaVersion });
                return ExitCodes.Success;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"backed up {file} to {copy.Path}: {copy.Bytes} bytes, schema version {copy.SchemaVersion}"));
            return ExitCodes.Success;
        }));

        var command = new Command("db", "Manage the service's database");
        command.Subcommands.Add(backup);
        return command;
    }
}
