using System.Net;
using System.Net.Sockets;

namespace NexRelay.Chaos.Tests;

/// <summary>
/// HTTP connections from another loopback address (all of 127.0.0.0/8 is loopback on Linux, so binding there is enough):
/// how a scenario's attacker is a different client from the legitimate load on 127.0.0.1, as it would be in real life, and
/// the edges' per-client limits count it apart.
/// </summary>
public static class LoopbackClient
{
    /// <summary>The unauthenticated flood (scenario 15).</summary>
    public static readonly IPAddress Flooder = IPAddress.Parse("127.0.0.2");

    /// <summary>The hostile-input sender (scenario 14).</summary>
    public static readonly IPAddress Hostile = IPAddress.Parse("127.0.0.3");

    public static SocketsHttpHandler Handler(IPAddress from, int connections) => new()
    {
        MaxConnectionsPerServer = connections,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
