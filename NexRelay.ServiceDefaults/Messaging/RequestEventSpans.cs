using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using NexRelay.Contracts.Messages;

namespace NexRelay.ServiceDefaults.Messaging;

/// <summary>
/// One span per request event a consumer handles (billing's settlement, logging's ingestion), a child of the edge's relay span
/// named by the event's <see cref="RequestCompleted.TraceParent"/>, so each request is one trace from the edge to its bill and
/// its log row. MassTransit's consume span stays the batch's (events from many requests travel in one message); each event
/// span links to it, and it stays the current activity, so the database calls remain the batch's children.
/// </summary>
public sealed class RequestEventSpans : IDisposable
{
    private readonly List<Activity> _spans = [];

    private RequestEventSpans()
    {
    }

    public static RequestEventSpans Start(string name, IEnumerable<RequestCompleted> events)
    {
        var spans = new RequestEventSpans();
        if (!NexRelayTelemetry.ActivitySource.HasListeners()) return spans;
        var batch = Activity.Current;
        ActivityLink[]? links = batch is null ? null : [new ActivityLink(batch.Context)];
        foreach (var e in events)
        {
            // An event from a request that was not traced (sampled out, or an older edge) gets no span of its own.
            if (e.TraceParent is null || !ActivityContext.TryParse(e.TraceParent, null, isRemote: true, out var parent)) continue;
            var span = NexRelayTelemetry.ActivitySource.StartActivity(name, ActivityKind.Consumer, parent, links: links);
            // Starting a span makes it current; the batch's span stays current for what follows.
            Activity.Current = batch;
            if (span is null) continue;
            span.SetTag(NexRelayTelemetry.RequestIdTag, e.RequestId);
            spans._spans.Add(span);
        }
        return spans;
    }

    /// <summary>The batch failed (it may be retried or bisected): each event's span says so.</summary>
    public void Failed(Exception exception)
    {
        foreach (var span in _spans) span.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
    }

    public void Dispose()
    {
        var current = Activity.Current;
        foreach (var span in _spans) span.Dispose();
        Activity.Current = current;
    }
}
