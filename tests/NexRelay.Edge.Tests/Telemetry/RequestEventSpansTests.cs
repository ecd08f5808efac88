using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using NexRelay.Contracts.Messages;
using NexRelay.ServiceDefaults.Messaging;

namespace NexRelay.Edge.Tests.Telemetry;

/// <summary>
/// A consumer's span per request event continues the edge's trace named in the event, whatever batch carried it, so one request
/// is one trace across edge, billing and logging.
/// </summary>
public sealed class RequestEventSpansTests : IDisposable
{
    // Compared by a constant: the listener is asked about every source, this one's construction included, before the field is set.
    private const string BatchesName = "NexRelay.Tests.Batches";
    private static readonly ActivitySource Batches = new(BatchesName);
    private readonly ConcurrentBag<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public RequestEventSpansTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == NexRelayTelemetry.ActivitySourceName || s.Name == BatchesName,
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void Each_traced_event_gets_a_span_in_its_requests_trace_linked_to_the_batch()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var edgeSpan = ActivitySpanId.CreateRandom();
        var requestId = "req_" + Guid.NewGuid().ToString("N");
        var untraced = "req_" + Guid.NewGuid().ToString("N");
        using var batch = Batches.StartActivity("consume")!;

        using (RequestEventSpans.Start("settle-request", [Event(requestId, $"00-{traceId}-{edgeSpan}-01"), Event(untraced, null)]))
        {
            // The batch stays current: what the consumer does next (its database call) is the batch's.
            Assert.Same(batch, Activity.Current);
        }

        Assert.Same(batch, Activity.Current);
        var span = Assert.Single(_stopped, a => (string?)a.GetTagItem(NexRelayTelemetry.RequestIdTag) == requestId);
        Assert.Equal("settle-request", span.OperationName);
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal(edgeSpan, span.ParentSpanId);
        Assert.Equal(batch.SpanId, Assert.Single(span.Links).Context.SpanId);
        Assert.DoesNotContain(_stopped, a => (string?)a.GetTagItem(NexRelayTelemetry.RequestIdTag) == untraced);
    }

    private static RequestCompleted Event(string requestId, string? traceParent) => new()
    {
        RequestId = requestId,
        CreatedAt = DateTimeOffset.UtcNow,
        ClientFormat = "openai-chat",
        Route = "/api/v1/chat/completions",
        Status = 200,
        TraceParent = traceParent,
    };
}
