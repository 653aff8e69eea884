using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClaudeHooks.Cli;

/// <summary>
/// What <c>doctor</c> found, in the order it looked: each check passed or failed (with the fix), and notes and
/// warnings that fail nothing. Printed as lines for people, or as one JSON document with <c>--json</c>.
/// </summary>
internal sealed class DoctorReport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly List<DoctorEntry> _entries = [];

    public int Failures => _entries.Count(e => e.Status == "fail");

    public IReadOnlyList<DoctorEntry> Entries => _entries;

    public void Check(bool ok, string what, string? fix = null) => _entries.Add(new DoctorEntry(ok ? "ok" : "fail", what, ok ? null : fix, null));

    public void Note(string what) => _entries.Add(new DoctorEntry("note", what, null, null));

    public void Warn(string what, IReadOnlyList<string>? details = null, string? fix = null) => _entries.Add(new DoctorEntry("warn", what, fix, details is { Count: > 0 } ? details : null));

    /// <summary>Extra facts for <c>--json</c> (storage, the running service), printed as notes for people.</summary>
    public Dictionary<string, object?> Facts { get; } = new(StringComparer.Ordinal);

    public void Write(TextWriter output, bool json, string configFile)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new { ok = Failures == 0, problems = Failures, configFile, checks = _entries, facts = Facts }, Json));
            return;
        }

        foreach (var entry in _entries)
        {
            var label = entry.Status switch { "ok" => "ok   ", "fail" => "FAIL ", "warn" => "WARN ", _ => "note " };
            output.WriteLine($"{label} {entry.What}");
            foreach (var detail in entry.Details ?? [])
            {
                output.WriteLine($"        - {detail}");
            }

            if (entry.Fix is not null)
            {
                output.WriteLine($"      fix: {entry.Fix}");
            }
        }

        output.WriteLine(Failures == 0 ? "doctor: everything looks right" : $"doctor: {Failures} problem(s)");
    }
}
