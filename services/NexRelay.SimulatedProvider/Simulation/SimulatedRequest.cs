namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>What the simulator read from a request, in any format, and the response it decides on.</summary>
internal sealed class SimulatedRequest
{
    public required string Model { get; init; }
    public required bool Stream { get; init; }

    /// <summary>The output limit the request asked for, or null when it gave none.</summary>
    public required int? OutputLimit { get; init; }

    /// <summary>Whitespace-separated words across all request text, at least 1.</summary>
    public required int InputTokens { get; init; }

    /// <summary>The tool to call (the first one defined) when the request triggers a tool call, else null.</summary>
    public required string? ToolName { get; init; }

    /// <summary>OpenAI Responses: the namespace tool the called function sits in, named on the call item.</summary>
    public string? ToolNamespace { get; init; }

    /// <summary>OpenAI Responses: the called tool is a <c>custom</c> (freeform) one, called with raw text rather than JSON arguments.</summary>
    public bool FreeformTool { get; init; }

    /// <summary>OpenAI Responses: the request's <c>store</c> (default true), echoed in the response object.</summary>
    public bool Store { get; init; } = true;

    /// <summary>OpenAI chat streams report usage only when asked (<c>stream_options.include_usage</c>).</summary>
    public bool StreamUsageRequested { get; init; } = true;

    /// <summary>Set by the pipeline once the request is parsed: what usage to report and how.</summary>
    public Knobs Knobs { get; set; }

    public bool OmitUsage => Knobs.OmitUsage;

    public bool IsToolCall => ToolName is not null;

    public int OutputWords => IsToolCall ? 0 : Math.Min(OutputLimit ?? Vocabulary.MaxWords, Vocabulary.MaxWords);

    public int OutputTokens => IsToolCall ? ToolCall.OutputTokens : OutputWords;

    /// <summary>Hidden reasoning tokens (the <c>hidden-reasoning</c> knob), reported in usage but never streamed.</summary>
    public int ReasoningTokens => Knobs.HiddenReasoning;

    // The reported figures: the usage-* knobs verbatim when given, else the counts. Totals saturate rather than wrap,
    // since the knobs may carry absurd values on purpose.

    /// <summary>Input tokens as reported (cached ones included, as OpenAI and Gemini count them).</summary>
    public long ReportedInputTokens => Knobs.UsageInput ?? InputTokens;

    public long ReportedCachedTokens => Knobs.UsageCached ?? 0;

    /// <summary>Anthropic's prompt-cache writes as reported: all of them, and the one-hour part (the rest are five-minute writes).</summary>
    public long ReportedCacheWriteTokens => Knobs.UsageCacheWrite ?? 0;

    public long ReportedCacheWrite1hTokens => Knobs.UsageCacheWrite1h ?? 0;

    /// <summary>Output tokens as reported: the visible ones plus hidden reasoning (OpenAI, Anthropic).</summary>
    public long ReportedOutputTokens => Knobs.UsageOutput ?? (long)OutputTokens + ReasoningTokens;

    /// <summary>Gemini's <c>candidatesTokenCount</c>: the visible tokens <paramref name="soFar"/> (thoughts are reported apart).</summary>
    public long ReportedCandidateTokens(int soFar) => Knobs.UsageOutput ?? soFar;

    public long ReportedTotalTokens => Sum(ReportedInputTokens, ReportedOutputTokens);

    public static long Sum(long a, long b, long c = 0) => long.CreateSaturating((Int128)a + b + c);

    /// <summary>The output stopped at the requested limit (length / max_tokens / MAX_TOKENS).</summary>
    public bool Truncated => !IsToolCall && OutputLimit is < Vocabulary.MaxWords;

    /// <summary>Pieces sent in a stream: one per word, or the tool arguments' (or raw input's) chunks.</summary>
    public int StreamTokens => !IsToolCall ? OutputWords : FreeformTool ? ToolCall.InputChunks.Length : ToolCall.ArgumentChunks.Length;

    /// <summary>Whether usage appears in a non-streamed response.</summary>
    public bool ReportUsage => !OmitUsage;

    /// <summary>Whether usage appears in a stream.</summary>
    public bool ReportStreamUsage => !OmitUsage && StreamUsageRequested;

    /// <summary>The value of the <c>x-sim-received-max-tokens</c> header.</summary>
    public string ReceivedMaxTokens => OutputLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";
}

/// <summary>Bad input: a 400 in the caller's format naming <see cref="Param"/>.</summary>
internal sealed class BadRequestException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}
