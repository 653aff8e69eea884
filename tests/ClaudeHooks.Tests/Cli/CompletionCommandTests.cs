using System.Diagnostics;
using ClaudeHooks.Cli;

namespace ClaudeHooks.Tests.Cli;

/// <summary><c>claude-hooks completion</c>: the script, sourced by a real bash, completes from the executable's command tree.</summary>
public sealed class CompletionCommandTests
{
    [Theory]
    [InlineData("claude-hooks ta", "ta", "task")]
    [InlineData("claude-hooks task lo", "lo", "logs")]
    [InlineData("claude-hooks task logs x --fu", "--fu", "--full")]
    public async Task Bash_PartialWord_CompletesItFromTheCommandTree(string line, string word, string expected)
    {
        var (_, script, _) = await CliProcess.RunAsync(new Dictionary<string, string?>(), "completion", "bash");
        var words = line.Split(' ');
        var test = $$"""
            claude-hooks() { dotnet '{{CliProcess.Executable}}' "$@"; }
            {{script}}
            COMP_LINE='{{line}}'; COMP_POINT=${#COMP_LINE}
            COMP_WORDS=({{line}}); COMP_CWORD={{words.Length - 1}}
            _claude_hooks_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;

        var output = await BashAsync(test);

        Assert.EndsWith(word, line, StringComparison.Ordinal);
        Assert.Equal([expected], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("zsh", "compdef _claude_hooks_complete claude-hooks")]
    [InlineData("fish", "complete -c claude-hooks -f -a '(__claude_hooks_complete)'")]
    public async Task Completion_OtherShells_PrintTheirScriptCallingTheSuggestDirective(string shell, string registration)
    {
        var (code, script, _) = await CliProcess.RunAsync(new Dictionary<string, string?>(), "completion", shell);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains(registration, script, StringComparison.Ordinal);
        Assert.Contains("[suggest:", script, StringComparison.Ordinal);
    }

    private static async Task<string> BashAsync(string script)
    {
        var start = new ProcessStartInfo("bash", ["--norc", "--noprofile", "-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
        return await output;
    }
}
