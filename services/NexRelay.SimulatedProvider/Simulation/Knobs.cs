using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// The simulation knobs in force for one request. Each knob is read from, in order: its <c>x-sim-*</c> header, a prompt
/// directive (<see cref="PromptDirectives"/>), the base-URL path (<see cref="KnobPath"/>), else <see cref="SimulatorOptions"/>.
/// The first readable value wins; an unreadable one (bad number, out of range) is skipped. The table is in the README.
/// </summary>
internal readonly record struct Knobs
{
    /// <summary>Response header: base64 of the exact request body (non-streamed responses, when echo is on).</summary>
    public const string RequestBodyHeader = "x-sim-request-body";

    /// <summary>Response header, always: the output limit read from the request, or <c>none</c>.</summary>
    public const string ReceivedMaxTokensHeader = "x-sim-received-max-tokens";

    /// <summary>Tags are URL-safe so that <c>GET /sim/requests/{tag}</c> can name them as given.</summary>
    public const int MaxTagLength = 128;

    public int FirstByteDelayMs { get; init; }
    public int TokenDelayMs { get; init; }
    public int FailStatus { get; init; }
    public int CutAfter { get; init; } = -1;
    public bool OmitUsage { get; init; }
    public bool EchoRequest { get; init; }
    public string? Tag { get; init; }
    public int FinishDelayMs { get; init; }
    public int HiddenReasoning { get; init; }
    public long? UsageInput { get; init; }
    public long? UsageOutput { get; init; }
    public long? UsageCached { get; init; }
    /// <summary>Anthropic: input tokens reported written to the prompt cache, and of them those written for an hour.</summary>
    public long? UsageCacheWrite { get; init; }
    public long? UsageCacheWrite1h { get; init; }
    public bool AbortBeforeHeaders { get; init; }

    public Knobs() { }

    public static Knobs From(IHeaderDictionary headers, SimulatorOptions options) => From(new KnobSources(headers, null, null), options);

    public static Knobs From(KnobSources sources, SimulatorOptions options)
    {
        var failStatus = sources.Int(KnobName.FailStatus, options.FailStatus, 0, 599);
        return new Knobs
        {
            FirstByteDelayMs = sources.Int(KnobName.FirstByteDelayMs, options.FirstByteDelayMs, 0, 600_000),
            TokenDelayMs = sources.Int(KnobName.TokenDelayMs, options.TokenDelayMs, 0, 60_000),
            FailStatus = failStatus >= 400 ? failStatus : 0,
            CutAfter = sources.Int(KnobName.CutAfter, options.CutAfter, -1, int.MaxValue),
            OmitUsage = sources.Bool(KnobName.OmitUsage, options.OmitUsage),
            EchoRequest = sources.Bool(KnobName.EchoRequest, options.EchoRequest),
            Tag = sources.Tag(KnobName.Tag, options.Tag),
            FinishDelayMs = sources.Int(KnobName.FinishDelayMs, options.FinishDelayMs, 0, 600_000),
            HiddenReasoning = sources.Int(KnobName.HiddenReasoning, options.HiddenReasoning, 0, int.MaxValue),
            UsageInput = sources.Long(KnobName.UsageInput, options.UsageInput),
            UsageOutput = sources.Long(KnobName.UsageOutput, options.UsageOutput),
            UsageCached = sources.Long(KnobName.UsageCached, options.UsageCached),
            UsageCacheWrite = sources.Long(KnobName.UsageCacheWrite, options.UsageCacheWrite),
            UsageCacheWrite1h = sources.Long(KnobName.UsageCacheWrite1h, options.UsageCacheWrite1h),
            AbortBeforeHeaders = sources.Bool(KnobName.AbortBeforeHeaders, options.AbortBeforeHeaders),
        };
    }

    /// <summary>1..128 characters from <c>A-Z a-z 0-9 - _ . ~</c> (URL-unreserved, so a tag needs no escaping anywhere).</summary>
    public static bool IsValidTag(string? tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > MaxTagLength) return false;
        foreach (var c in tag)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or '~')) return false;
        }
        return true;
    }
}

/// <summary>
/// Where knob values come from, highest precedence first: request headers, prompt directives, the base-URL path.
/// Directives and path knobs are keyed by the short name (<c>fail-status</c>); a flag given without a value reads <c>true</c>.
/// </summary>
internal readonly struct KnobSources(IHeaderDictionary headers, IReadOnlyDictionary<string, string>? directives, IReadOnlyDictionary<string, string>? path)
{
    private const int Layers = 3;

    public int Int(KnobName knob, int fallback, int min, int max)
    {
        for (var layer = 0; layer < Layers; layer++)
        {
            if (Raw(layer, knob) is { } raw && int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                && value >= min && value <= max)
            {
                return value;
            }
        }
        return fallback;
    }

    public long? Long(KnobName knob, long? fallback)
    {
        for (var layer = 0; layer < Layers; layer++)
        {
            if (Raw(layer, knob) is { } raw && long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        }
        return fallback;
    }

    public bool Bool(KnobName knob, bool fallback)
    {
        for (var layer = 0; layer < Layers; layer++)
        {
            if (Raw(layer, knob) is { } raw && bool.TryParse(raw, out var value)) return value;
        }
        return fallback;
    }

    public string? Tag(KnobName knob, string? fallback)
    {
        for (var layer = 0; layer < Layers; layer++)
        {
            if (Raw(layer, knob) is { } raw && Knobs.IsValidTag(raw)) return raw;
        }
        return fallback;
    }

    private string? Raw(int layer, KnobName knob) => layer switch
    {
        0 => headers.TryGetValue(knob.Header, out var values) ? values.ToString() : null,
        1 => directives is not null && directives.TryGetValue(knob.Name, out var directive) ? directive : null,
        _ => path is not null && path.TryGetValue(knob.Name, out var fromPath) ? fromPath : null,
    };
}

/// <summary>A knob's name, as written in prompt directives and the path, and its request header: <c>x-sim-</c> + the name.</summary>
internal sealed class KnobName
{
    public static readonly KnobName FirstByteDelayMs = new("first-byte-delay-ms");
    public static readonly KnobName TokenDelayMs = new("token-delay-ms");
    public static readonly KnobName FailStatus = new("fail-status");
    public static readonly KnobName CutAfter = new("cut-after");
    public static readonly KnobName OmitUsage = new("omit-usage");
    public static readonly KnobName EchoRequest = new("echo-request");
    public static readonly KnobName Tag = new("tag");
    public static readonly KnobName FinishDelayMs = new("finish-delay-ms");
    public static readonly KnobName HiddenReasoning = new("hidden-reasoning");
    public static readonly KnobName UsageInput = new("usage-input");
    public static readonly KnobName UsageOutput = new("usage-output");
    public static readonly KnobName UsageCached = new("usage-cached");
    public static readonly KnobName UsageCacheWrite = new("usage-cache-write");
    public static readonly KnobName UsageCacheWrite1h = new("usage-cache-write-1h");
    public static readonly KnobName AbortBeforeHeaders = new("abort-before-headers");

    private KnobName(string name) => (Name, Header) = (name, "x-sim-" + name);

    public string Name { get; }

    public string Header { get; }

    public override string ToString() => Name;
}
