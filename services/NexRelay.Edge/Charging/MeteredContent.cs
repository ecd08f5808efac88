using System.Net;
using NexRelay.Edge.Catalog;

namespace NexRelay.Edge.Charging;

/// <summary>
/// An upstream request body that tells its <see cref="UpstreamMeter"/> when it has been written and flushed to the upstream's
/// connection: the moment from which the request counts as handed over (and can no longer be free, see <see cref="ChargeRule"/>).
/// A body the client's departure or a connection failure interrupted is not handed over.
/// </summary>
internal sealed class MeteredContent(byte[] body, UpstreamMeter meter, ModelUpstream upstream) : HttpContent
{
    private volatile bool _sent;

    /// <summary>This body was written whole to the upstream's connection.</summary>
    public bool Sent => _sent;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(body, cancellationToken);
        // Flushing here sends headers and body together, as the handler would right after; then the upstream has it all.
        await stream.FlushAsync(cancellationToken);
        _sent = true;
        meter.MarkHandedOver(upstream);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
