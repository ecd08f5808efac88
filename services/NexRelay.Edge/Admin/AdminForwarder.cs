using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Internal;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace NexRelay.Edge.Admin;

/// <summary>
/// Forwards an admin call as it came to the service that owns it, with YARP's forwarder: its header rules (hop-by-hop
/// headers dropped both ways, Host the destination's) and both bodies streamed (CSV exports can be large). The caller's
/// Authorization goes along, since the owner checks the admin token again; the internal token is set, replacing any the
/// caller sent. When the owner cannot answer, the caller gets a ProblemDetails naming it, never a 500 or an empty 502.
/// </summary>
internal sealed partial class AdminForwarder
{
    // An owner silent this long between two reads counts as unavailable (the internal clients' resilience handler allowed
    // 30 s per call before). Idle, not total: a long CSV export that keeps streaming is never cut.
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromSeconds(30) };

    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _client;
    private readonly Dictionary<string, OwnerTransformer> _transformers;
    private readonly ILogger _logger;

    public AdminForwarder(IHttpForwarder forwarder, IForwarderHttpClientFactory clients, IOptions<InternalAuthOptions> internalAuth,
        ILogger<AdminForwarder> logger)
    {
        _forwarder = forwarder;
        // Service discovery's factory: http://billing, http://keypolicy and http://logging resolve like the named clients do.
        _client = clients.CreateClient(new ForwarderHttpClientContext { NewConfig = HttpClientConfig.Empty });
        _logger = logger;
        _transformers = InternalServices.Names.ToDictionary(name => name, name => new OwnerTransformer(name, internalAuth.Value.InternalToken, logger));
    }

    public async Task ForwardAsync(HttpContext http, string owner)
    {
        var error = await _forwarder.SendAsync(http, "http://" + owner, _client, RequestConfig, _transformers[owner]);
        // Once the answer has started YARP can only abort it; a caller that left or sent a broken body needs no problem.
        if (error is ForwarderError.None or ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
            || http.Response.HasStarted || http.RequestAborted.IsCancellationRequested)
            return;
        LogUnavailable(_logger, owner, error, http.Features.Get<IForwarderErrorFeature>()?.Exception?.Message);
        await ServiceFailed(owner, unavailable: true).ExecuteAsync(http);
    }

    private static ProblemHttpResult ServiceFailed(string owner, bool unavailable) => unavailable
        ? TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service Unavailable", type: ProblemTypes.ServiceUnavailable,
            detail: $"The {owner} service is unreachable; try again shortly.")
        : TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Bad Gateway", type: ProblemTypes.ServiceError,
            detail: $"The {owner} service failed to answer this call; its log has the details.");

    /// <summary>YARP's default transforms, plus the internal token on the way there and a problem for an owner's 5xx on the way back.</summary>
    private sealed class OwnerTransformer(string owner, string internalToken, ILogger logger) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Remove(InternalAuth.HeaderName);
            proxyRequest.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, internalToken);
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse,
            CancellationToken cancellationToken)
        {
            if (proxyResponse is null || (int)proxyResponse.StatusCode < 500)
                return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            // A service's own failure (an exception page, a database error) is its internals, and its log already has them:
            // the body is neither forwarded nor logged again (an exception page can echo the request's tokens).
            LogServiceFailed(logger, owner, (int)proxyResponse.StatusCode);
            await ServiceFailed(owner, proxyResponse.StatusCode == HttpStatusCode.ServiceUnavailable).ExecuteAsync(httpContext);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin call to {Service} failed ({Error}): {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string service, ForwarderError error, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin call to {Service} answered {Status}")]
    private static partial void LogServiceFailed(ILogger logger, string service, int status);
}
