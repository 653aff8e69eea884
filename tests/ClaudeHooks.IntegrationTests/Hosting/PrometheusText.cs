using System.Globalization;
using System.Text.RegularExpressions;

namespace ClaudeHooks.IntegrationTests.Hosting;

/// <summary>The samples of a Prometheus text-format scrape: name, labels and value of every line that is not a comment.</summary>
internal sealed partial class PrometheusText
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public static PrometheusText Parse(string text)
    {
        var parsed = new PrometheusText();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => Regex.Unescape(m.Groups["value"].Value), StringComparer.Ordinal);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            parsed._samples.Add((match.Groups["name"].Value, labels, value));
        }

        return parsed;
    }

    public IEnumerable<string> Names => _samples.Select(s => s.Name).Distinct();

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>, or null when there is none.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels)
    {
        var matching = _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(matching.Count <= 1, $"{matching.Count} samples of {name} match {string.Join(",", labels)}");
        return matching.Count == 0 ? null : matching[0].Value;
    }

    /// <summary>Every label value <paramref name="label"/> takes across the samples of <paramref name="name"/>.</summary>
    public IReadOnlySet<string> LabelValues(string name, string label) =>
        _samples.Where(s => s.Name == name && s.Labels.ContainsKey(label)).Select(s => s.Labels[label]).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
