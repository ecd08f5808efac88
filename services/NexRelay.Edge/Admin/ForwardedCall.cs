using System.Net.Http.Headers;

namespace NexRelay.Edge.Admin;

/// <summary>Copies one HTTP call to an internal service and its answer back, streaming both bodies (CSV exports can be large).</summary>
internal static class ForwardedCall
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Content-Length",
    };

    public static HttpRequestMessage BuildRequest(HttpRequest source, string pathAndQuery, bool withBody)
    {
        var message = new HttpRequestMessage(new HttpMethod(source.Method), pathAndQuery);
        if (withBody && (source.ContentLength > 0 || source.Headers.TransferEncoding.Count > 0))
        {
            message.Content = new StreamContent(source.Body);
            if (source.ContentType is { } contentType) message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
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
        foreach (var header in response.Content.Headers.Concat(response.Headers))
        {
            if (!HopByHop.Contains(header.Key)) http.Response.Headers[header.Key] = header.Value.ToArray();
        }
        await using var body = await response.Content.ReadAsStreamAsync(http.RequestAborted);
        await body.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
