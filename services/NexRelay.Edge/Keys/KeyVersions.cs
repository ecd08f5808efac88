using Microsoft.Extensions.Options;

namespace NexRelay.Edge.Keys;

/// <summary>
/// The newest version each key hash was announced at by <c>KeyChanged</c>, remembered for
/// <see cref="EdgeKeyOptions.VersionRetention"/>: the floor below which a Redis snapshot of that hash is stale. Holds at most
/// <see cref="EdgeKeyOptions.VersionCapacity"/> hashes; one forgotten early (the oldest go first) leaves this replica unable to
/// vouch for any hash it does not remember until that hash's retention would have ended, so forgetting never lets a stale
/// snapshot through: it only sends those lookups to key-policy.
/// </summary>
internal sealed class KeyVersions(IOptions<EdgeKeyOptions> options, TimeProvider time)
{
    private readonly TimeSpan _retention = options.Value.VersionRetention;
    private readonly int _capacity = options.Value.VersionCapacity;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byHash = new(StringComparer.Ordinal);
    // Oldest learned first: expiry and eviction both take from the front.
    private readonly LinkedList<Entry> _byAge = new();
    private DateTimeOffset _blindUntil = DateTimeOffset.MinValue;

    /// <summary>Remembers that <paramref name="hash"/> is at <paramref name="version"/> or later (0, from an older key-policy, says nothing).</summary>
    public void Learn(string hash, long version)
    {
        if (version <= 0) return;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            Expire(now);
            if (_byHash.TryGetValue(hash, out var node))
            {
                node.Value.Version = Math.Max(node.Value.Version, version);
                node.Value.LearnedAt = now;
                _byAge.Remove(node);
                _byAge.AddLast(node);
                return;
            }
            _byHash[hash] = _byAge.AddLast(new Entry(hash, version, now));
            while (_byHash.Count > _capacity)
            {
                var oldest = _byAge.First!.Value;
                Forget(_byAge.First);
                if (oldest.LearnedAt + _retention > _blindUntil) _blindUntil = oldest.LearnedAt + _retention;
            }
        }
    }

    /// <summary>
    /// The oldest version a snapshot of <paramref name="hash"/> may have to be used (0 when nothing was announced), or null when
    /// this replica cannot tell because it had to forget announcements lately: then no Redis snapshot of it is to be trusted.
    /// </summary>
    public long? Floor(string hash)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            Expire(now);
            if (_byHash.TryGetValue(hash, out var node)) return node.Value.Version;
            return now < _blindUntil ? null : 0;
        }
    }

    /// <summary>How many hashes are remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _byHash.Count;
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (_byAge.First is { } first && first.Value.LearnedAt + _retention <= now) Forget(first);
    }

    private void Forget(LinkedListNode<Entry> node)
    {
        _byHash.Remove(node.Value.Hash);
        _byAge.Remove(node);
    }

    private sealed class Entry(string hash, long version, DateTimeOffset learnedAt)
    {
        public string Hash { get; } = hash;
        public long Version { get; set; } = version;
        public DateTimeOffset LearnedAt { get; set; } = learnedAt;
    }
}
