namespace NexRelay.Console.Edge;

/// <summary>
/// Tells the edge whose call this is: the browser's address in <c>X-Forwarded-For</c>, as any reverse proxy would. The edge
/// counts failed sign-ins per client address (its failed-auth limit); without this, every console user would share the
/// console's address, and one person guessing keys could lock everyone else out of signing in. The edge believes the
/// header only from networks it is told to trust (<c>NexRelay:ForwardedHeaders</c>; loopback by default).
/// </summary>
internal sealed class ClientAddressHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext?.Connection.RemoteIpAddress is { } address)
        {
            request.Headers.Remove("X-Forwarded-For");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString());
        }
        return base.SendAsync(request, cancellationToken);
    }
}
