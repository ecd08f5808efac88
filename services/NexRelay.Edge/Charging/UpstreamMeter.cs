using System.Diagnostics;
using System.Text;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Charging;

/// <summary>
/// What one request's upstream was given and what it reported, as the relay learns it: the facts <see cref="ChargeRule"/>
/// charges from. Written by the relay (and, for the hand-over, by the upstream request's body as it is sent); read once the
/// request is over, so a client that leaves at any moment still leaves behind what the upstream already did.
/// </summary>
internal sealed class UpstreamMeter
{
    private ModelUpstream? _upstream;
    private long _handedOverAt;

    /// <summary>The upstream that was last handed the request's body (null: no upstream has it).</summary>
    public ModelUpstream? Upstream => Volatile.Read(ref _upstream);

    /// <summary>The whole body was written to an upstream's connection: from here on the upstream may be working (and billing).</summary>
    public bool HandedOver => Upstream is not null;

    /// <summary>The upstream itself refused the last attempt (an error status, or an error event before any output).</summary>
    public bool Refused { get; set; }

    /// <summary>The last usage the upstream reported: final once <see cref="Complete"/>, else partial (or null).</summary>
    public Usage? Usage { get; set; }

    /// <summary>The upstream finished its answer (a finish event or a whole non-streamed body): <see cref="Usage"/> is final.</summary>
    public bool Complete { get; set; }

    /// <summary>Text, reasoning text and tool calls relayed so far: counted when usage is missing or partial.</summary>
    public StringBuilder Output { get; } = new();

    /// <summary>When the first visible output arrived (a <see cref="Stopwatch"/> timestamp; 0 before).</summary>
    public long FirstOutputAt { get; private set; }

    public bool ProducedOutput => FirstOutputAt != 0;

    /// <summary>Called as the body finishes going out on the upstream's connection (by <see cref="MeteredContent"/>).</summary>
    public void MarkHandedOver(ModelUpstream upstream)
    {
        Volatile.Write(ref _handedOverAt, Stopwatch.GetTimestamp());
        Refused = false;
        Volatile.Write(ref _upstream, upstream);
    }

    public void MarkOutput()
    {
        if (FirstOutputAt == 0) FirstOutputAt = Stopwatch.GetTimestamp();
    }

    /// <summary>How long the upstream worked without visible output: from the hand-over to the first output (or to now).</summary>
    public TimeSpan SilenceBeforeOutput()
    {
        var handedOverAt = Volatile.Read(ref _handedOverAt);
        if (handedOverAt == 0) return TimeSpan.Zero;
        return Stopwatch.GetElapsedTime(handedOverAt, FirstOutputAt != 0 ? FirstOutputAt : Stopwatch.GetTimestamp());
    }
}
