using System.Text.Json.Nodes;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>Chat Completions fields OpenAI bills beyond the held tokens: refused before any hold (see <see cref="Unpriced"/>).</summary>
public sealed partial class OpenAIChatFormat
{
    /// <summary>
    /// Both bill the model's standard prices: 'default' always, 'auto' whatever tier the operator configured for the upstream
    /// project (standard unless the operator chose otherwise, which is the operator's own choice, not the caller's).
    /// 'flex', 'scale' and 'priority' bill other prices than the catalog's.
    /// </summary>
    private static readonly string[] StandardServiceTiers = ["auto", "default"];

    private static void RefuseUnpriced(JsonObject body)
    {
        RefuseServiceTier(body);
        Unpriced.Absent(body, "web_search_options", "web_search_options", "web search (billed per search, with its own token rates)");
        if (OptionalArray(body, "modalities", "modalities") is { } modalities)
        {
            for (var i = 0; i < modalities.Count; i++)
            {
                var modality = AsString(modalities[i] ?? throw Invalid($"modalities[{i}]", "a string"), $"modalities[{i}]");
                if (modality != "text") throw Unpriced.Refuse("modalities", $"'{modality}' output", "remove it or ask for [\"text\"]");
            }
        }
        Unpriced.Absent(body, "audio", "audio", "audio output");
        Unpriced.Absent(body, "prediction", "prediction", "predicted outputs (rejected prediction tokens are billed as output)");
        // Legacy function definitions are input the hold does not count (only 'tools' are parsed and counted).
        Unpriced.Absent(body, "functions", "functions", "legacy 'functions' definitions", "send them as 'tools' instead");
    }

    /// <summary>OpenAI's <c>service_tier</c>, shared with the Responses format.</summary>
    internal static void RefuseServiceTier(JsonObject body) =>
        Unpriced.AllowOnly(Get(body, "service_tier"), "service_tier", "the service tier", StringComparer.Ordinal, StandardServiceTiers);

    /// <summary>An assistant message's <c>audio</c> (an earlier spoken answer, by id) is audio input, billed at audio rates.</summary>
    private static void RefuseUnpricedMessage(JsonObject message, string p) =>
        Unpriced.Absent(message, "audio", $"{p}.audio", "audio input");

    /// <summary>Content parts the upstream bills by their own rules: audio by its length, files by their pages.</summary>
    private static RequestValidationException? UnpricedPart(string type, string param) => type switch
    {
        "input_audio" => Unpriced.Refuse(param, "audio input"),
        "file" => Unpriced.Refuse(param, "file input (PDF)"),
        _ => null,
    };
}
