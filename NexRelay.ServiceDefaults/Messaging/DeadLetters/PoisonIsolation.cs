namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

/// <summary>An item that failed on its own, with the failure.</summary>
public sealed record Poisoned<T>(T Item, Exception Error);

/// <summary>
/// Processes a batch in one call and, when that call fails for a poison reason (<see cref="MessageFailure.IsPoison"/>),
/// bisects: each half is processed on its own, and so on until the failing items stand alone. One poison in n items costs
/// about 2·log2(n) extra calls (12 for an envelope of 64); everything else is still processed in batches. A transient
/// failure, at any depth, is rethrown: the message is retried whole, and what the halves already processed is idempotent.
/// </summary>
public static class PoisonIsolation
{
    /// <returns>The items that fail alone, in their order; empty when the batch went through.</returns>
    public static async Task<List<Poisoned<T>>> ProcessAsync<T>(T[] items, Func<IReadOnlyList<T>, CancellationToken, Task> process,
        CancellationToken cancellationToken)
    {
        var poisoned = new List<Poisoned<T>>();
        if (items.Length > 0) await ProcessAsync(new ArraySegment<T>(items), process, poisoned, cancellationToken);
        return poisoned;
    }

    private static async Task ProcessAsync<T>(ArraySegment<T> items, Func<IReadOnlyList<T>, CancellationToken, Task> process,
        List<Poisoned<T>> poisoned, CancellationToken cancellationToken)
    {
        try
        {
            await process(items, cancellationToken);
        }
        catch (Exception ex) when (MessageFailure.IsPoison(ex) && !cancellationToken.IsCancellationRequested)
        {
            if (items.Count == 1)
            {
                poisoned.Add(new Poisoned<T>(items[0], ex));
                return;
            }
            var half = items.Count / 2;
            await ProcessAsync(items[..half], process, poisoned, cancellationToken);
            await ProcessAsync(items[half..], process, poisoned, cancellationToken);
        }
    }
}
