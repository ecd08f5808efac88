using System.Net;
using System.Net.Sockets;

namespace NexRelay.AppHost.Tests;

/// <summary>Connections from a loopback address of the test's choice (loopback is all of 127.0.0.0/8 on Linux), for per-address limits.</summary>
internal static class Loopback
{
    public static SocketsHttpHandler From(IPAddress address) => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(address, 0));
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
