using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Charging;
using NexRelay.Edge.Translation;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace NexRelay.Edge.Relay;

/// <summary>Why an upstream attempt failed, when it did not return a usable response.</summary>
public enum UpstreamFailure { None, Timeout, Connection, BreakerOpen, ServerError, ClientError }

/// <param name="BodySent">The whole body reached the upstream's connection in this attempt: a timeout or connection failure
/// after it is not retried, since the upstream may be generating (and billing) the answer.</param>
public sealed record UpstreamAttempt(ModelUpstream Upstream, HttpResponseMessage? Response, UpstreamFailure Failure, string? Message,
    bool BodySent = false);

/// <summary>
/// Sends one request to an upstream through its own Polly pipeline (a time-to-first-byte timeout and a circuit breaker per
/// provider), never the blanket standard resilience handler. Retries and failover across upstreams are the caller's loop,
/// because they are allowed only before the first byte reached the client. Each attempt waits
/// <see cref="RelayOptions.ResponseWait"/> for the response headers: the first-byte timeout for a stream, more for a
/// non-streamed answer, which is generated whole before its headers come.
/// </summary>
public sealed class UpstreamClient(IHttpClientFactory httpClientFactory, IOptions<RelayOptions> options, UpstreamMetrics metrics)
{
    public const string HttpClientName = "upstream";
    private static readonly ResiliencePropertyKey<TimeSpan> WaitKey = new("nexrelay.response-wait");
    private static readonly ResiliencePropertyKey<bool> StreamKey = new("nexrelay.stream");
    private readonly ConcurrentDictionary<string, ResiliencePipeline<HttpResponseMessage>> _pipelines = new();
    private readonly RelayOptions _options = options.Value;

    /// <param name="clientHeaders">The client's own headers this upstream gets as they are (<see cref="IClientFormat.PassthroughHeaders"/>).</param>
    internal async Task<UpstreamAttempt> SendAsync(ModelUpstream upstream, string pathAndQuery, byte[] body, bool stream, TimeSpan wait,
        UpstreamMeter meter, CancellationToken cancellationToken, IReadOnlyList<KeyValuePair<string, string>>? clientHeaders = null)
    {
        var pipeline = _pipelines.GetOrAdd(upstream.Provider.Name, BuildPipeline);
        var content = new MeteredContent(body, meter, upstream);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(WaitKey, wait);
        context.Properties.Set(StreamKey, stream);
        try
        {
            var response = await pipeline.ExecuteAsync(static async (ctx, state) =>
            {
                using var request = BuildRequest(state.upstream, state.pathAndQuery, state.content, state.stream, state.clientHeaders);
                return await state.client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ctx.CancellationToken);
            }, context, (upstream, pathAndQuery, content, stream, clientHeaders, client: httpClientFactory.CreateClient(HttpClientName)));

            if ((int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
            {
                return new(upstream, response, UpstreamFailure.ServerError, null, content.Sent);
            }
            return new(upstream, response, response.IsSuccessStatusCode ? UpstreamFailure.None : UpstreamFailure.ClientError, null, content.Sent);
        }
        catch (BrokenCircuitException)
        {
            return new(upstream, null, UpstreamFailure.BreakerOpen, $"Upstream '{upstream.Provider.Name}' is failing; its circuit breaker is open.");
        }
        catch (TimeoutRejectedException)
        {
            return new(upstream, null, UpstreamFailure.Timeout, $"Upstream '{upstream.Provider.Name}' did not answer within {wait.TotalSeconds:0.#} s.",
                content.Sent);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new(upstream, null, UpstreamFailure.Connection, $"Upstream '{upstream.Provider.Name}' is unreachable ({ex.HttpRequestError}).",
                content.Sent);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static HttpRequestMessage BuildRequest(ModelUpstream upstream, string pathAndQuery, HttpContent content, bool stream,
        IReadOnlyList<KeyValuePair<string, string>>? clientHeaders)
    {
        var provider = upstream.Provider;
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(provider.BaseUrl, pathAndQuery))
        {
            Content = content,
            Version = HttpVersion.Version11,
        };
        request.Content.Headers.ContentType = new("application/json");
        if (stream) request.Headers.Accept.ParseAdd("text/event-stream");
        var key = provider.ApiKey;
        if (!string.IsNullOrEmpty(key))
        {
            switch (provider.Kind)
            {
                case UpstreamKind.Anthropic: request.Headers.TryAddWithoutValidation("x-api-key", key); break;
                case UpstreamKind.Gemini: request.Headers.TryAddWithoutValidation("x-goog-api-key", key); break;
                default: request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key); break;
            }
        }
        if (provider.Kind == UpstreamKind.Anthropic) request.Headers.TryAddWithoutValidation("anthropic-version", provider.AnthropicVersion);
        if (clientHeaders is not null)
        {
            foreach (var (name, value) in clientHeaders) request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline(string provider)
    {
        metrics.Breaker(provider, UpstreamMetrics.BreakerState.Closed);
        return new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            // Reported as the breaker's state per provider (UpstreamMetrics): an open breaker is an upstream operators must see.
            OnOpened = _ => Report(provider, UpstreamMetrics.BreakerState.Open),
            OnHalfOpened = _ => Report(provider, UpstreamMetrics.BreakerState.HalfOpen),
            OnClosed = _ => Report(provider, UpstreamMetrics.BreakerState.Closed),
            FailureRatio = _options.BreakerFailureRatio,
            MinimumThroughput = _options.BreakerMinimumThroughput,
            SamplingDuration = _options.BreakerSamplingDuration,
            BreakDuration = _options.BreakerBreakDuration,
            // A stream that sends no headers in time is a failing upstream; a non-streamed answer that takes long is a long
            // answer, one tenant's, and must not open the breaker for everyone.
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException } => true,
                { Exception: TimeoutRejectedException } => args.Context.Properties.GetValue(StreamKey, true),
                { Result: { } r } => (int)r.StatusCode >= 500,
                _ => false,
            }),
        })
        .AddTimeout(new TimeoutStrategyOptions
        {
            TimeoutGenerator = args => ValueTask.FromResult(args.Context.Properties.GetValue(WaitKey, _options.FirstByteTimeout)),
        })
        .Build();
    }

    private ValueTask Report(string provider, UpstreamMetrics.BreakerState state)
    {
        metrics.Breaker(provider, state);
        return ValueTask.CompletedTask;
    }
}
