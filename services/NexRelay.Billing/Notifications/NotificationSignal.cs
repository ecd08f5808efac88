namespace NexRelay.Billing.Notifications;

/// <summary>
/// Wakes the notification worker early when a wallet's balance just changed (a settlement batch, a credit), so an event
/// goes out within moments instead of at the next poll. Only a hint: the poll evaluates every wallet anyway, so a nudge
/// lost in a crash costs at most one poll interval.
/// </summary>
public sealed class NotificationSignal
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Nudge()
    {
        try
        {
            if (signal.CurrentCount == 0) signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already nudged.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);
}
