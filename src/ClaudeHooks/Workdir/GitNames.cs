using System.Text.RegularExpressions;

namespace ClaudeHooks.Workdir;

/// <summary>Validation of the names that reach git's command line: threads (checkout and branch names) and refs.</summary>
internal static partial class GitNames
{
    public static string Thread(string thread) => ThreadPattern().IsMatch(thread)
        ? thread
        : throw new InvalidRepositoryException($"thread \"{thread}\" is not usable: use lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (for example issue-42 or pr-57)");

    public static string Branch(string agent, string thread) => $"{agent}/{Thread(thread)}";

    /// <summary>A branch, tag or commit name as git check-ref-format would accept it, never an option.</summary>
    public static string Ref(string reference)
    {
        var valid = reference.Length is > 0 and <= 200
            && !reference.StartsWith('-') && !reference.StartsWith('/') && !reference.EndsWith('/') && !reference.EndsWith('.')
            && !reference.EndsWith(".lock", StringComparison.Ordinal) && !reference.Contains("..", StringComparison.Ordinal)
            && !reference.Contains("//", StringComparison.Ordinal) && !reference.Contains("@{", StringComparison.Ordinal)
            && RefCharacters().IsMatch(reference) && !reference.Split('/').Any(p => p.StartsWith('.'));
        return valid ? reference : throw new InvalidRepositoryException($"ref \"{reference}\" is not a valid branch, tag or commit name");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex ThreadPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._/+-]+$")]
    private static partial Regex RefCharacters();
}
