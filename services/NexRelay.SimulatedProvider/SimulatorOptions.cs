using System.ComponentModel.DataAnnotations;

namespace NexRelay.SimulatedProvider;

/// <summary>
/// Defaults for the simulation knobs (section <c>Simulator</c>). Each can be overridden per request by its
/// <c>x-sim-*</c> header, a prompt directive or the <c>/knobs/…</c> path (see <see cref="Simulation.Knobs"/>).
/// </summary>
internal sealed class SimulatorOptions : IValidatableObject
{
    public const string SectionName = "Simulator";

    /// <summary>Latency before the response headers are sent.</summary>
    [Range(0, 600_000)]
    public int FirstByteDelayMs { get; init; }

    /// <summary>Delay before each streamed token; non-streamed responses wait output tokens × this.</summary>
    [Range(0, 60_000)]
    public int TokenDelayMs { get; init; }

    /// <summary>When 400..599, every request fails with this status and the format's error body. 0 = off.</summary>
    public int FailStatus { get; init; }

    /// <summary>Streams send this many tokens, then the connection is aborted (whole answers: half the body). -1 = off.</summary>
    [Range(-1, int.MaxValue)]
    public int CutAfter { get; init; } = -1;

    /// <summary>Leave usage out of every response and stream.</summary>
    public bool OmitUsage { get; init; }

    /// <summary>Non-streamed responses carry the request body, base64, in <c>x-sim-request-body</c>.</summary>
    public bool EchoRequest { get; init; }

    /// <summary>Count every request under this tag (<c>GET /sim/requests/{tag}</c>). Null = no tag.</summary>
    public string? Tag { get; init; }

    /// <summary>Streams wait this long after the last token before the closing events; whole answers wait it extra.</summary>
    [Range(0, 600_000)]
    public int FinishDelayMs { get; init; }

    /// <summary>Reasoning tokens thought before the first visible one: silence of this × <see cref="TokenDelayMs"/>, reported in usage.</summary>
    [Range(0, int.MaxValue)]
    public int HiddenReasoning { get; init; }

    /// <summary>Reported input tokens, verbatim, in place of the counted ones. Null = counted.</summary>
    public long? UsageInput { get; init; }

    /// <summary>Reported output tokens, verbatim (hidden reasoning included). Null = counted.</summary>
    public long? UsageOutput { get; init; }

    /// <summary>Reported cached input tokens, verbatim. Null = 0 (and absent where the format omits zero).</summary>
    public long? UsageCached { get; init; }

    /// <summary>Anthropic <c>cache_creation_input_tokens</c>, verbatim (default 0).</summary>
    public long? UsageCacheWrite { get; init; }

    /// <summary>Anthropic <c>cache_creation.ephemeral_1h_input_tokens</c>, verbatim; the 5-minute part is the rest (default 0).</summary>
    public long? UsageCacheWrite1h { get; init; }

    /// <summary>After the body (and the first-byte delay) the connection is aborted before any header is sent.</summary>
    public bool AbortBeforeHeaders { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (FailStatus != 0 && FailStatus is < 400 or > 599)
        {
            yield return new ValidationResult($"{SectionName}:{nameof(FailStatus)} must be 0 (off) or an HTTP error status 400..599.", [nameof(FailStatus)]);
        }
        if (Tag is not null && !Simulation.Knobs.IsValidTag(Tag))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(Tag)} must be 1..{Simulation.Knobs.MaxTagLength} characters from A-Z a-z 0-9 - _ . ~.", [nameof(Tag)]);
        }
    }
}
