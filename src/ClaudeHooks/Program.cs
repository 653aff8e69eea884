using ClaudeHooks.Cli;

return await CliApp.Build().Parse(args).InvokeAsync();
