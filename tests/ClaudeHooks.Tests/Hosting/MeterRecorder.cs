using System.Diagnostics.Metrics;
using ClaudeHooks.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeHooks.Tests.Hosting;

/// <summary>A <see cref="ServiceMetrics"/> of its own meter factory, and every measurement recorded on it.</summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly ServiceProvider _provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, string> Tags)> _measurements = [];

    public MeterRecorder()
    {
        var factory = _provider.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Other tests create meters of the same name; only this factory's count here.
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
        Metrics = new ServiceMetrics(factory);
    }

    public ServiceMetrics Metrics { get; }

    public List<(string Instrument, double Value, Dictionary<string, string> Tags)> Values(string instrument)
    {
        lock (_measurements)
        {
            return [.. _measurements.Where(m => m.Instrument == instrument)];
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Metrics.Dispose();
        _provider.Dispose();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, tag) in tags)
        {
            copy[key] = tag?.ToString() ?? "";
        }

        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, copy));
        }
    }
}
