using System.Diagnostics;

namespace ClaudeHooks.Tests.Cli;

/// <summary>Runs the real <c>claude-hooks</c> executable from the test's output folder, as an operator or a script runs it.</summary>
internal static class CliProcess
{
    public static string Executable => Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll");

    /// <summary>Runs it with <paramref name="args"/> and the environment given (a null value removes the variable).</summary>
    public static async Task<(int Code, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(Executable);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        // Nothing of the machine's own service or engine leaks into a test.
        start.Environment.Remove("CLAUDE_HOOKS_URL");
        start.Environment.Remove("CLAUDE_HOOKS_DEBUG");
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cts.Token);
        var error = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Whether the text holds a .NET stack frame line ("   at Namespace.Type.Method(...)").</summary>
    public static bool HasStackTrace(string text) =>
        text.Split('\n').Any(line => line.StartsWith("   at ", StringComparison.Ordinal));
}
