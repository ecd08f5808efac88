using Microsoft.AspNetCore.Http;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>The simulation knobs in force for one request: its <c>x-sim-*</c> headers, else <see cref="SimulatorOptions"/>.</summary>
internal readonly record struct Knobs(int FirstByteDelayMs, int TokenDelayMs, int FailStatus, int CutAfter, bool OmitUsage, bool EchoRequest)
{
    public const string FirstByteDelayHeader = "x-sim-first-byte-delay-ms";
    public const string TokenDelayHeader = "x-sim-token-delay-ms";
    public const string FailStatusHeader = "x-sim-fail-status";
    public const string CutAfterHeader = "x-sim-cut-after";
    public const string OmitUsageHeader = "x-sim-omit-usage";
    public const string EchoRequestHeader = "x-sim-echo-request";

    /// <summary>Response header: base64 of the exact request body (non-streamed responses, when echo is on).</summary>
    public const string RequestBodyHeader = "x-sim-request-body";

    /// <summary>Response header, always: the output limit read from the request, or <c>none</c>.</summary>
    public const string ReceivedMaxTokensHeader = "x-sim-received-max-tokens";

    public static Knobs From(IHeaderDictionary headers, SimulatorOptions options)
    {
        var failStatus = Int(headers, FailStatusHeader, options.FailStatus, 0, 599);
        return new Knobs(
            Int(headers, FirstByteDelayHeader, options.FirstByteDelayMs, 0, 600_000),
            Int(headers, TokenDelayHeader, options.TokenDelayMs, 0, 60_000),
            failStatus >= 400 ? failStatus : 0,
            Int(headers, CutAfterHeader, options.CutAfter, -1, int.MaxValue),
            Bool(headers, OmitUsageHeader, options.OmitUsage),
            Bool(headers, EchoRequestHeader, options.EchoRequest));
    }

    // Headers that are absent or unreadable fall back to the configured default rather than failing the request.
    private static int Int(IHeaderDictionary headers, string name, int fallback, int min, int max) =>
        headers.TryGetValue(name, out var values) && int.TryParse(values.ToString(), out var value) && value >= min && value <= max
            ? value
            : fallback;

    private static bool Bool(IHeaderDictionary headers, string name, bool fallback) =>
        headers.TryGetValue(name, out var values) && bool.TryParse(values.ToString(), out var value) ? value : fallback;
}
