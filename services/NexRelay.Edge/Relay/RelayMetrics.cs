using System.Diagnostics;
using System.Diagnostics.Metrics;
using NexRelay.Billing.Client;
using NexRelay.Edge.Catalog;

namespace NexRelay.Edge.Relay;

/// <summary>
/// What the relayed requests did, on the shared NexRelay meter and the relay span: recorded once per request, when it ends
/// (<see cref="Completed"/>, from <see cref="RelayHandler"/>'s finish), so every number here agrees with the request's log row.
/// Names follow the OpenTelemetry GenAI semantic conventions where they have one (gen_ai.client.*), NexRelay's own otherwise.
/// Every attribute has a bounded set of values: the catalog's public model id ("unknown" for a name the catalog does not
/// have, "none" before one was read), the configured provider, the client format, an outcome and a status; never a key,
/// wallet or request id, nor anything a client typed.
/// <para>
/// The in-flight count is what the Kubernetes autoscaler scales the edge on (<c>nexrelay_edge_requests_in_flight</c>).
/// </para>
/// </summary>
internal sealed class RelayMetrics
{
    private const string ModelTag = "gen_ai.request.model";
    private const string ProviderTag = "gen_ai.provider.name";
    private const string OperationTag = "gen_ai.operation.name";
    private const string FormatTag = "nexrelay.client.format";
    private const string NoModel = "none";
    private const string UnknownModel = "unknown";
    private const string NoProvider = "none";

    // The GenAI conventions' bucket boundaries: the SDK's defaults are made for milliseconds.
    private static readonly double[] SecondsBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    private readonly ModelCatalog _catalog;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _refusals;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _tokens;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Histogram<double> _upstreamLatency;
    private readonly Counter<long> _cachedInputTokens;
    private readonly Counter<long> _cost;

    public RelayMetrics(IMeterFactory meterFactory, ModelCatalog catalog, CreditLeases leases)
    {
        _catalog = catalog;
        var meter = meterFactory.Create(NexRelayTelemetry.MeterName);
        _inFlight = meter.CreateUpDownCounter<long>("nexrelay.edge.requests.in_flight", unit: "{request}",
            description: "Relayed requests this edge is answering now, streams included");
        _requests = meter.CreateCounter<long>("nexrelay.edge.requests", unit: "{request}",
            description: "Requests to the relay routes, by model, client format, provider, outcome and status class");
        _refusals = meter.CreateCounter<long>("nexrelay.edge.refusals", unit: "{request}",
            description: "Requests NexRelay refused before asking an upstream, by reason (invalid_key, wallet, budget, rate_limit, ...)");
        _duration = meter.CreateHistogram("gen_ai.client.operation.duration", unit: "s",
            description: "Time from the request's arrival to its end, for requests that reached an upstream",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _tokens = meter.CreateHistogram("gen_ai.client.token.usage", unit: "{token}",
            description: "Input and output tokens per request (gen_ai.token.type), as charged",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _timeToFirstChunk = meter.CreateHistogram("gen_ai.client.operation.time_to_first_chunk", unit: "s",
            description: "Time from a streamed request's arrival to its first output chunk",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _upstreamLatency = meter.CreateHistogram("nexrelay.edge.upstream.latency", unit: "s",
            description: "Time from sending to an upstream to its response headers (the attempt that answered)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _cachedInputTokens = meter.CreateCounter<long>("nexrelay.edge.tokens.cached_input", unit: "{token}",
            description: "Input tokens the upstream served from its prompt cache (part of gen_ai.client.token.usage's input)");
        _cost = meter.CreateCounter<long>("nexrelay.edge.cost", unit: "uUSD",
            description: "Micro-USD charged for requests, as the edge priced them (billing captures at most what was reserved)");
        // This replica's credit leases (Holds/Reservations.cs): what it may spend without asking billing.
        meter.CreateObservableGauge("nexrelay.edge.leases.open", () => leases.LiveCount, unit: "{lease}",
            description: "Credit leases this edge holds open");
        meter.CreateObservableGauge("nexrelay.edge.leases.granted", () => leases.LiveGrantedMicros, unit: "uUSD",
            description: "Micro-USD billing reserved for this edge's open credit leases");
        meter.CreateObservableGauge("nexrelay.edge.leases.reserved", () => leases.LiveReservedMicros, unit: "uUSD",
            description: "Micro-USD of the open leases reserved by requests in flight");
    }

    public void Started() => _inFlight.Add(1);

    public void Ended() => _inFlight.Add(-1);

    /// <summary>The request has ended: its counters, and the GenAI attributes of its span (<paramref name="activity"/>, the relay span).</summary>
    public void Completed(RelayRecord record, double seconds, Activity? activity)
    {
        var model = PublicModel(record.Model);
        var provider = record.UpstreamProvider ?? record.Meter.Upstream?.Provider.Name;
        var reachedUpstream = provider is not null;
        var outcome = RequestOutcome.Of(record.Status, record.ErrorCode, reachedUpstream);
        var format = record.Client.WireName;
        provider ??= NoProvider;

        _requests.Add(1, new TagList
        {
            { ModelTag, model }, { FormatTag, format }, { ProviderTag, provider },
            { "nexrelay.outcome", outcome }, { "nexrelay.status_class", RequestOutcome.StatusClass(record.Status) },
        });
        if (RequestOutcome.RefusalReason(record.Status, record.ErrorCode, reachedUpstream) is { } reason)
        {
            _refusals.Add(1, new TagList
            {
                { "nexrelay.refusal.reason", reason }, { "http.response.status_code", record.Status }, { ModelTag, model }, { FormatTag, format },
            });
        }
        if (reachedUpstream) RecordGenAi(record, seconds, model, provider, format, outcome);
        Tag(activity, record, model, provider);
    }

    private void RecordGenAi(RelayRecord record, double seconds, string model, string provider, string format, string outcome)
    {
        var tags = new TagList { { OperationTag, "chat" }, { ModelTag, model }, { ProviderTag, provider }, { FormatTag, format } };
        if (record.UpstreamTtfbMs is { } ttfb) _upstreamLatency.Record(ttfb / 1000, tags);
        if (record.Stream && record.TtftMs is { } ttft) _timeToFirstChunk.Record(ttft / 1000, tags);
        if (record.Usage is { } usage)
        {
            var input = tags;
            input.Add("gen_ai.token.type", "input");
            _tokens.Record(usage.InputTokens, input);
            var output = tags;
            output.Add("gen_ai.token.type", "output");
            _tokens.Record(usage.OutputTokens, output);
            if (usage.CachedInputTokens > 0) _cachedInputTokens.Add(usage.CachedInputTokens, tags);
        }
        if (record.CostMicros > 0) _cost.Add(record.CostMicros, tags);
        // The conventions' error.type: what went wrong, as a low-cardinality value (here the status, or how a begun answer ended).
        if (outcome != RequestOutcome.Success) tags.Add("error.type", outcome == RequestOutcome.UpstreamFailed && record.Status < 400 ? "stream_error" : StatusText(record.Status));
        _duration.Record(seconds, tags);
    }

    /// <summary>GenAI attributes on the relay span, so a trace shows what the request asked of which upstream and what it got.</summary>
    private static void Tag(Activity? activity, RelayRecord record, string model, string provider)
    {
        if (activity is null || !activity.IsAllDataRequested) return;
        activity.SetTag(OperationTag, "chat");
        activity.SetTag(ModelTag, model);
        activity.SetTag(ProviderTag, provider);
        if (record.UpstreamModel is { } upstreamModel) activity.SetTag("gen_ai.response.model", upstreamModel);
        if (record.Usage is { } usage)
        {
            activity.SetTag("gen_ai.usage.input_tokens", usage.InputTokens);
            activity.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
        }
        if (record.FinishReason is { } finish) activity.SetTag("gen_ai.response.finish_reasons", new[] { finish });
        activity.SetTag("http.response.status_code", record.Status);
        if (record.ErrorCode is { } code) activity.SetTag("error.type", code);
    }

    /// <summary>The catalog's own id for the model, never the client's text: a name the catalog lacks is "unknown".</summary>
    private string PublicModel(string? requested) =>
        requested is null ? NoModel : _catalog.TryGet(requested, out var model) ? model.Id : UnknownModel;

    private static string StatusText(int status) => status switch
    {
        400 => "400", 401 => "401", 402 => "402", 403 => "403", 404 => "404", 408 => "408", 413 => "413", 429 => "429", 499 => "499",
        500 => "500", 502 => "502", 503 => "503", 504 => "504",
        _ => RequestOutcome.StatusClass(status),
    };
}
