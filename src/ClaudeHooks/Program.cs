using System.CommandLine;
using ClaudeHooks.Cli;

var parse = CliApp.Parse(args);

// `serve` drains on SIGTERM through the host's own lifetime, which must not be cut short; other verbs get
// their cancellation token on Ctrl+C or SIGTERM and time to stop what they started.
var configuration = new InvocationConfiguration
{
    ProcessTerminationTimeout = parse.CommandResult.Command.Name == "serve" ? null : TimeSpan.FromSeconds(30),
};
return await CliApp.InvokeAsync(parse, configuration);
