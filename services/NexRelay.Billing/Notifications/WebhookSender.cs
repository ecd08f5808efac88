using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;

namespace NexRelay.Billing.Notifications;

/// <summary>The outcome of one delivery attempt: the receiver's status, or why there was none.</summary>
public readonly record struct SendResult(bool Delivered, int? StatusCode, string? Error);

/// <summary>
/// POSTs one signed event. Its own <see cref="SocketsHttpHandler"/>, not a factory client: the service defaults' resilience
/// handler would retry on its own schedule (ours is the outbox's, recorded attempt by attempt), and this handler must
/// refuse redirects and check the address it connects to. The connect callback resolves the host itself and connects
/// only to public addresses (<see cref="WebhookAddressGuard"/>), so a name that resolved to a public address when the
/// settings were saved and to 127.0.0.1 now (DNS rebinding) is refused at the moment of connecting. Redirects are never
/// followed: a 3xx is a failed attempt, so a receiver cannot bounce billing to an internal address.
/// </summary>
public sealed class WebhookSender : IDisposable
{
    private readonly HttpClient client;
    private readonly WebhookAddressGuard guard;
    private readonly TimeProvider clock;

    public WebhookSender(IOptions<NotificationOptions> options, TimeProvider clock)
        : this(options.Value, WebhookAddressGuard.DnsResolveAsync, clock) { }

    internal WebhookSender(NotificationOptions settings, Func<string, CancellationToken, Task<IPAddress[]>> resolve, TimeProvider clock)
    {
        this.clock = clock;
        guard = new WebhookAddressGuard(settings.AllowedHosts, settings.AllowHttpForAllowedHosts, resolve);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,              // a proxy would connect for us, past the address check
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(settings.AttemptTimeoutSeconds),
            ConnectCallback = async (context, ct) =>
            {
                var host = context.DnsEndPoint.Host;
                var port = context.DnsEndPoint.Port;
                IPAddress[] addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await resolve(host, ct);
                if (!guard.IsAllowedHost(host, port))
                {
                    if (addresses.FirstOrDefault(WebhookAddressGuard.IsForbidden) is { } bad)
                        throw new HttpRequestException($"Refused: '{host}' resolves to an internal address ({bad}).");
                }
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(settings.AttemptTimeoutSeconds) };
    }

    public async Task<SendResult> SendAsync(string url, string secret, Guid eventId, string eventType, string body, CancellationToken cancellationToken)
    {
        if (await guard.RefusalAsync(url, cancellationToken) is { } refusal) return new(false, null, "Refused: " + refusal);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(WebhookSigner.Header, WebhookSigner.Sign(secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));
        request.Headers.TryAddWithoutValidation("x-nexrelay-event-id", eventId.ToString());
        request.Headers.TryAddWithoutValidation("x-nexrelay-event-type", eventType);
        request.Headers.UserAgent.ParseAdd("NexRelay-Webhooks/1");
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300) return new(true, status, null);
            if (status is >= 300 and < 400)
                return new(false, status, $"Redirect to '{response.Headers.Location}' not followed: webhooks are not redirected.");
            return new(false, status, $"The receiver answered {status}.");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            return new(false, null, ex is TaskCanceledException ? "No answer within the attempt timeout." : Describe(ex));
        }
    }

    private static string Describe(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e.Message.StartsWith("Refused:", StringComparison.Ordinal)) return e.Message;
        }
        return "Could not connect: " + ex.Message;
    }

    public void Dispose() => client.Dispose();
}
