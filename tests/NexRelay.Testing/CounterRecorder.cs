using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace NexRelay.Testing;

/// <summary>
/// Sums one counter of one in-process service (the meters its own <see cref="IMeterFactory"/> created, so other services
/// hosted in the same test process are not counted), in total and by the value of one tag.
/// </summary>
public sealed class CounterRecorder : IDisposable
{
    private readonly MeterListener _listener;
    private readonly string _tag;
    private readonly ConcurrentDictionary<string, long> _byTag = new();
    private long _total;

    public CounterRecorder(IServiceProvider services, string instrument, string tag = "kind")
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _tag = tag;
        _listener = new MeterListener
        {
            InstrumentPublished = (i, listener) =>
            {
                if (ReferenceEquals(i.Meter.Scope, factory) && i.Name == instrument) listener.EnableMeasurementEvents(i);
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            Interlocked.Add(ref _total, value);
            foreach (var t in tags)
            {
                if (t.Key == _tag) _byTag.AddOrUpdate(t.Value?.ToString() ?? "", value, (_, n) => n + value);
            }
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public long Of(string tagValue) => _byTag.GetValueOrDefault(tagValue);

    public void Dispose() => _listener.Dispose();
}
