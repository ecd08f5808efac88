using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Translation;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace NexRelay.Edge.Relay;

/// <summary>Why an upstream attempt failed, when it did not return a usable response.</summary>
public enum UpstreamFailure { None, Timeout, Connection, BreakerOpen, ServerError, ClientError }

public sealed record UpstreamAttempt(ModelUpstream Upstream, HttpResponseMessage? Response, UpstreamFailure Failure, string? Message);

/// <summary>
/// Sends one request to an upstream through its own Polly pipeline (a time-to-first-byte timeout and a circuit breaker per
/// provider), never the blanket standard resilience handler. Retries and failover across upstreams are the caller's loop,
/// because they are allowed only before the first byte reached the client.
/// </summary>
public sealed class UpstreamClient(IHttpClientFactory httpClientFactory, IOptions<RelayOptions> options)
{
    public const string HttpClientName = "upstream";
    private readonly ConcurrentDictionary<string, ResiliencePipeline<HttpResponseMessage>> _pipelines = new();
    private readonly RelayOptions _options = options.Value;

    public async Task<UpstreamAttempt> SendAsync(ModelUpstream upstream, string pathAndQuery, byte[] body, bool stream, CancellationToken cancellationToken)
    {
        var pipeline = _pipelines.GetOrAdd(upstream.Provider.Name, _ => BuildPipeline());
        try
        {
            var response = await pipeline.ExecuteAsync(async ct =>
            {
                using var request = BuildRequest(upstream, pathAndQuery, body, stream);
                return await httpClientFactory.CreateClient(HttpClientName)
                    .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }, cancellationToken);

            if ((int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout)
            {
                return new(upstream, response, UpstreamFailure.ServerError, null);
            }
            return new(upstream, response, response.IsSuccessStatusCode ? UpstreamFailure.None : UpstreamFailure.ClientError, null);
        }
        catch (BrokenCircuitException)
        {
            return new(upstream, null, UpstreamFailure.BreakerOpen, $"Upstream '{upstream.Provider.Name}' is failing; its circuit breaker is open.");
        }
        catch (TimeoutRejectedException)
        {
            return new(upstream, null, UpstreamFailure.Timeout, $"Upstream '{upstream.Provider.Name}' did not answer within {_options.FirstByteTimeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new(upstream, null, UpstreamFailure.Connection, $"Upstream '{upstream.Provider.Name}' is unreachable ({ex.HttpRequestError}).");
        }
    }

    private static HttpRequestMessage BuildRequest(ModelUpstream upstream, string pathAndQuery, byte[] body, bool stream)
    {
        var provider = upstream.Provider;
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(provider.BaseUrl, pathAndQuery))
        {
            Content = new ByteArrayContent(body),
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
        return request;
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline() => new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            FailureRatio = _options.BreakerFailureRatio,
            MinimumThroughput = _options.BreakerMinimumThroughput,
            SamplingDuration = _options.BreakerSamplingDuration,
            BreakDuration = _options.BreakerBreakDuration,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>()
                .Handle<TimeoutRejectedException>()
                .HandleResult(r => (int)r.StatusCode >= 500),
        })
        .AddTimeout(_options.FirstByteTimeout)
        .Build();
}
