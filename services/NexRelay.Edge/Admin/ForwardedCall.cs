namespace NexRelay.Edge.Admin;

/// <summary>
/// A call the edge changes before passing it on (a key holder's log query, scoped to their key; see
/// <c>SelfServiceApi</c>) and its answer copied back, streaming the body (CSV exports can be large). Plain admin calls go
/// through <see cref="AdminForwarder"/> (YARP) instead.
/// </summary>
internal static class ForwardedCall
{
    /// <summary>
    /// Response headers that describe one connection, not the answer (RFC 9110 7.6.1, and the list YARP's forwarder drops),
    /// plus Content-Length, which Kestrel sets itself for the body it streams. Headers the response's own Connection header
    /// names are dropped too.
    /// </summary>
    private static readonly HashSet<string> ConnectionHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authenticate",
        "Proxy-Authentication-Info", "Proxy-Authorization", "Proxy-Features", "Proxy-Instruction", "Security-Scheme", "ALPN",
        "Close", "HTTP2-Settings", "Upgrade-Insecure-Requests", "Alt-Svc", "Content-Length",
    };

    /// <summary>The request to the internal service: the caller's method and Accept (CSV or JSON), no body.</summary>
    public static HttpRequestMessage BuildRequest(HttpRequest source, string pathAndQuery)
    {
        var message = new HttpRequestMessage(new HttpMethod(source.Method), pathAndQuery);
        if (source.Headers.Accept.Count > 0) message.Headers.TryAddWithoutValidation("Accept", source.Headers.Accept.ToArray());
        return message;
    }

    /// <summary>
    /// The internal service could not answer: unreachable, or no answer within the resilience handler's timeouts (its open
    /// breaker too). The caller answers 503, never a 500; a client that left is not one of these.
    /// </summary>
    public static bool IsUnavailable(Exception ex, HttpContext http) =>
        !http.Response.HasStarted && (ex is HttpRequestException or Polly.ExecutionRejectedException
            || ex is TaskCanceledException && !http.RequestAborted.IsCancellationRequested);

    public static async Task CopyResponseAsync(HttpResponseMessage response, HttpContext http)
    {
        http.Response.StatusCode = (int)response.StatusCode;
        var named = response.Headers.Connection;
        foreach (var header in response.Content.Headers.Concat(response.Headers))
        {
            if (!ConnectionHeaders.Contains(header.Key) && !named.Contains(header.Key, StringComparer.OrdinalIgnoreCase))
                http.Response.Headers[header.Key] = header.Value.ToArray();
        }
        await using var body = await response.Content.ReadAsStreamAsync(http.RequestAborted);
        await body.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
