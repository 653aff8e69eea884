namespace ClaudeHooks.IntegrationTests.Local;

/// <summary>What the wrapper saw of one CLI run: its uid, its environment, its home's path and what the home held.</summary>
public sealed record CliRecord(int Uid, IReadOnlyDictionary<string, string> Environment, string HomePath, string HomeListing)
{
    public static CliRecord Read(string folder)
    {
        var environment = File.ReadAllLines(Path.Combine(folder, "env"))
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
        return new CliRecord(
            int.Parse(File.ReadAllText(Path.Combine(folder, "uid")).Trim(), System.Globalization.CultureInfo.InvariantCulture),
            environment,
            File.ReadAllText(Path.Combine(folder, "home-path")),
            File.ReadAllText(Path.Combine(folder, "home")));
    }
}
