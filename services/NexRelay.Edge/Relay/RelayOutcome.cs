using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Relay;

/// <summary>What the relay step produced: an error to write (nothing sent yet), or the response's usage and output.</summary>
internal sealed record RelayOutcome
{
    public EdgeError? Error { get; init; }
    /// <summary>Usage the upstream reported; null when absent (the handler counts it with the tokenizer).</summary>
    public Usage? Usage { get; init; }
    /// <summary>Text and tool arguments produced, kept for counting when usage is absent.</summary>
    public string? OutputText { get; init; }
    public bool ProducedOutput { get; init; }
    /// <summary>The upstream failed before producing anything: nothing to charge.</summary>
    public bool FailedBeforeOutput { get; init; }

    public static RelayOutcome Failed(EdgeError error) => new() { Error = error, FailedBeforeOutput = true };
}
