using System.CommandLine;

namespace ClaudeHooks.Cli;

/// <summary>
/// <c>claude-hooks completion bash|zsh|fish</c>: a script for the shell that asks the executable itself what may come
/// next (System.CommandLine's <c>[suggest:N]</c> directive), so verbs, options and values never go stale and nothing
/// is fetched from anywhere.
/// </summary>
internal static class CompletionCommand
{
    public const string Bash = """
        # claude-hooks completion for bash: eval "$(claude-hooks completion bash)" in ~/.bashrc
        _claude_hooks_complete() {
            local line="${COMP_LINE:0:$COMP_POINT}"
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(claude-hooks "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o bashdefault -o default -F _claude_hooks_complete claude-hooks

        """;

    public const string Zsh = """
        #compdef claude-hooks
        # claude-hooks completion for zsh: eval "$(claude-hooks completion zsh)" in ~/.zshrc (after compinit)
        _claude_hooks_complete() {
            local line="${BUFFER[1,CURSOR]}"
            local -a completions
            completions=("${(@f)$(claude-hooks "[suggest:${#line}]" "$line" 2>/dev/null)}")
            compadd -- "${completions[@]}"
        }
        compdef _claude_hooks_complete claude-hooks

        """;

    public const string Fish = """
        # claude-hooks completion for fish: claude-hooks completion fish > ~/.config/fish/completions/claude-hooks.fish
        function __claude_hooks_complete
            set -l line (commandline -cp)
            claude-hooks "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
        end
        complete -c claude-hooks -f -a '(__claude_hooks_complete)'

        """;

    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script (bash, zsh or fish) that completes verbs, options and values") { shell };
        command.SetAction(parse =>
        {
            Console.Out.Write(parse.GetValue(shell) switch
            {
                "zsh" => Zsh,
                "fish" => Fish,
                _ => Bash,
            });
            return ExitCodes.Success;
        });
        return command;
    }
}
