namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// How many requests arrived with each <c>tag</c> knob (counted once the body was read), so a test can prove that a gateway
/// did not retry. At most <see cref="MaxTags"/> tags are kept; beyond that the oldest tag is forgotten.
/// </summary>
internal sealed class TagCounts
{
    public const int MaxTags = 100_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly int _maxTags;

    public TagCounts() : this(MaxTags) { }

    internal TagCounts(int maxTags) => _maxTags = maxTags;

    public void Add(string tag)
    {
        lock (_lock)
        {
            if (_counts.TryGetValue(tag, out var count))
            {
                _counts[tag] = count + 1;
                return;
            }
            if (_counts.Count >= _maxTags) _counts.Remove(_order.Dequeue());
            _counts[tag] = 1;
            _order.Enqueue(tag);
        }
    }

    public long Get(string tag)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(tag);
        }
    }
}
