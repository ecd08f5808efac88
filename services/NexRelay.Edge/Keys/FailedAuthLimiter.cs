using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace NexRelay.Edge.Keys;

/// <summary>
/// Per-client count of keys that turned out not to exist (<see cref="FailedAuthOptions"/>): a fixed window per client, starting
/// with its first charge. Each authentication that needs a lookup is charged before it (so a client's concurrent guesses cannot
/// overshoot the limit) and refunded when the key turns out real. In memory, per replica: what it saves is this replica's
/// lookups. At most <see cref="FailedAuthOptions.MaxClients"/> clients are remembered; the oldest window goes first.
/// </summary>
internal sealed class FailedAuthLimiter(IOptions<FailedAuthOptions> options, TimeProvider time)
{
    private readonly int _limit = options.Value.Limit;
    private readonly TimeSpan _window = options.Value.Window;
    private readonly int _capacity = options.Value.MaxClients;
    private readonly Lock _lock = new();
    private readonly Dictionary<UInt128, LinkedListNode<Window>> _byClient = [];
    // Every window has the same length and a client's window is only ever replaced by a new one at the back,
    // so this list is ordered by start and by end: expiry and eviction both take from the front.
    private readonly LinkedList<Window> _byStart = new();

    /// <summary>
    /// Charges one failed authentication to <paramref name="address"/>'s client; null when that was allowed, otherwise how long
    /// until its window ends (nothing charged).
    /// </summary>
    public TimeSpan? TryCharge(IPAddress? address)
    {
        var client = ClientOf(address);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            Expire(now);
            if (_byClient.TryGetValue(client, out var node))
            {
                if (node.Value.Count >= _limit) return node.Value.Start + _window - now;
                node.Value.Count++;
                return null;
            }
            if (_byClient.Count >= _capacity) Forget(_byStart.First!);
            _byClient[client] = _byStart.AddLast(new Window(client, now) { Count = 1 });
            return null;
        }
    }

    /// <summary>Gives back a charge: the key was real after all, or nobody could tell (an outage is not the client's failure).</summary>
    public void Refund(IPAddress? address)
    {
        var client = ClientOf(address);
        lock (_lock)
        {
            // A window that ended meanwhile is simply gone; a new one may lose one charge it did not take, which only errs kind.
            if (_byClient.TryGetValue(client, out var node) && node.Value.Count > 0) node.Value.Count--;
        }
    }

    /// <summary>How many clients are remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _byClient.Count;
        }
    }

    /// <summary>
    /// The client an address stands for: an IPv4 address (also IPv4-mapped IPv6), or an IPv6 /64 — one host is routinely given a
    /// whole /64, so counting its single addresses would let it guess without limit. No address (not over a socket): one client.
    /// </summary>
    internal static UInt128 ClientOf(IPAddress? address)
    {
        if (address is null) return UInt128.MaxValue;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return (1UL << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[..written]);
        // IPv6 prefixes land on multiples of 2^64, IPv4 addresses below 2^33: the two never meet.
        return (UInt128)BinaryPrimitives.ReadUInt64BigEndian(bytes[..8]) << 64;
    }

    private void Expire(DateTimeOffset now)
    {
        while (_byStart.First is { } first && first.Value.Start + _window <= now) Forget(first);
    }

    private void Forget(LinkedListNode<Window> node)
    {
        _byClient.Remove(node.Value.Client);
        _byStart.Remove(node);
    }

    private sealed class Window(UInt128 client, DateTimeOffset start)
    {
        public UInt128 Client { get; } = client;
        public DateTimeOffset Start { get; } = start;
        public int Count { get; set; }
    }
}
