namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// How many requests arrived with each <c>tag</c> knob (counted once the body was read), so a test can prove that a gateway
/// did not retry, and the <c>anthropic-beta</c> header the last of them carried, so a test can see what a gateway forwarded.
/// At most <see cref="MaxTags"/> tags are kept; beyond that the oldest tag is forgotten.
/// </summary>
internal sealed class TagCounts
{
    public const int MaxTags = 100_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long Count, string? AnthropicBeta)> _counts = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly int _maxTags;

    public TagCounts() : this(MaxTags) { }

    internal TagCounts(int maxTags) => _maxTags = maxTags;

    public void Add(string tag, string? anthropicBeta = null)
    {
        lock (_lock)
        {
            if (_counts.TryGetValue(tag, out var seen))
            {
                _counts[tag] = (seen.Count + 1, anthropicBeta);
                return;
            }
            if (_counts.Count >= _maxTags) _counts.Remove(_order.Dequeue());
            _counts[tag] = (1, anthropicBeta);
            _order.Enqueue(tag);
        }
    }

    public long Get(string tag) => Seen(tag).Count;

    /// <summary>The count, and the <c>anthropic-beta</c> header of the tag's last request (null when it had none).</summary>
    public (long Count, string? AnthropicBeta) Seen(string tag)
    {
        lock (_lock)
        {
            return _counts.GetValueOrDefault(tag);
        }
    }
}
