namespace NexRelay.Billing.Notifications;

/// <summary>The state of one threshold of one wallet, as stored in <c>notification_states</c>.</summary>
public readonly record struct ThresholdState(bool Fired, DateTimeOffset? LastFiredAt);

/// <summary>
/// When a threshold sends an event. It fires once when crossed (armed → fired) and is re-armed only when crossed back, so
/// a balance that stays low sends one event, not one per settlement. Crossed again within the flap window of its last
/// event it fires silently: the owner heard about it moments ago, and a balance bouncing around the line (a credit, a
/// spend, a credit) would otherwise send one event per bounce.
/// </summary>
public static class ThresholdRule
{
    public static (ThresholdState Next, bool Send) Decide(bool crossed, ThresholdState state, DateTimeOffset now, TimeSpan flapWindow)
    {
        if (crossed == state.Fired) return (state, false);
        if (!crossed) return (state with { Fired = false }, false);
        if (state.LastFiredAt is { } last && now - last < flapWindow) return (state with { Fired = true }, false);
        return (new ThresholdState(true, now), true);
    }

    /// <summary>Exponential backoff after <paramref name="failedAttempts"/> failures, capped.</summary>
    public static TimeSpan RetryDelay(int failedAttempts, TimeSpan first, TimeSpan max)
    {
        var ms = first.TotalMilliseconds * Math.Pow(2, Math.Max(0, failedAttempts - 1));
        return ms >= max.TotalMilliseconds ? max : TimeSpan.FromMilliseconds(ms);
    }
}
