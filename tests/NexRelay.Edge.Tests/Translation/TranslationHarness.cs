using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using NexRelay.Edge.Translation.Sse;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>Drives bytes through SSE parsing, an upstream stream parser and a client stream writer, as the relay does.</summary>
internal static class TranslationHarness
{
    public static JsonObject Json(string json) => (JsonObject)JsonNode.Parse(json)!;

    /// <summary>What the client receives: the object serialised and read back (so numbers read as any integer type).</summary>
    public static JsonObject Wire(JsonObject o) => Json(o.ToJsonString());

    /// <summary>Splits <paramref name="bytes"/> into chunks of <paramref name="size"/> (0: random sizes from a fixed seed).</summary>
    public static IEnumerable<byte[]> Split(byte[] bytes, int size, int seed = 7)
    {
        var random = new Random(seed);
        for (var i = 0; i < bytes.Length;)
        {
            var n = Math.Min(size > 0 ? size : random.Next(1, 40), bytes.Length - i);
            yield return bytes[i..(i + n)];
            i += n;
        }
    }

    public static List<SseEvent> ParseSse(string text, int chunkSize = 0)
    {
        var events = new List<SseEvent>();
        using var parser = new SseParser();
        foreach (var chunk in Split(Encoding.UTF8.GetBytes(text), chunkSize)) parser.Feed(chunk, events);
        parser.Complete(events);
        return events;
    }

    public static List<StreamEvent> ParseUpstream(UpstreamKind kind, string sse, int chunkSize)
    {
        var parser = FormatRegistry.Upstream(kind).CreateStreamParser();
        var events = new List<StreamEvent>();
        foreach (var e in ParseSse(sse, chunkSize)) parser.Parse(e.EventName, e.Data, events);
        return events;
    }

    /// <summary>The relay's loop: upstream SSE → neutral events → client SSE, completed with the last usage seen.</summary>
    public static string Translate(UpstreamKind upstream, ClientFormat client, string upstreamSse, int chunkSize,
        ChatRequest? request = null, string responseId = "req123", string publicModel = "public-model")
    {
        var parser = FormatRegistry.Upstream(upstream).CreateStreamParser();
        var clientFormat = FormatRegistry.Client(client);
        var writer = request is null
            ? clientFormat.CreateStreamWriter(responseId, publicModel)
            : clientFormat.CreateStreamWriter(responseId, publicModel, request);
        var output = new ArrayBufferWriter<byte>();
        var events = new List<StreamEvent>();
        var usage = new Usage?[1]; // the relay reads usage updates as they pass
        using var sse = new SseParser();
        foreach (var chunk in Split(Encoding.UTF8.GetBytes(upstreamSse), chunkSize))
        {
            sse.Feed(chunk, (parser, events, writer, output, usage), static (s, name, data) =>
            {
                s.events.Clear();
                s.parser.Parse(name, data, s.events);
                foreach (var e in s.events)
                {
                    if (e is UsageUpdate u) s.usage[0] = u.Usage;
                    s.writer.Write(e, s.output);
                }
            });
        }
        writer.Complete(usage[0], output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    public static string Sse(params string[] dataLines) => string.Concat(dataLines.Select(d => $"data: {d}\n\n"));

    public static string NamedSse(params (string Event, string Data)[] events) =>
        string.Concat(events.Select(e => $"event: {e.Event}\ndata: {e.Data}\n\n"));
}

/// <summary>What a client would reassemble from a stream in its own format, with the grammar checked on the way.</summary>
internal sealed record ClientStreamSummary(
    string Text,
    string Reasoning,
    List<(string Id, string Name, string Arguments)> ToolCalls,
    string? FinishReason,
    JsonObject? Usage,
    List<string> EventTypes);
