namespace ClaudeHooks.Config;

/// <summary>A configuration that cannot be used. Each error names the file, the key and the fix.</summary>
internal sealed class ConfigException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
