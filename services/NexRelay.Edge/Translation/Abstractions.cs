using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Errors;

namespace NexRelay.Edge.Translation;

/// <summary>Bad client input, reported in the caller's error envelope as a 400 naming <see cref="Param"/>.</summary>
public sealed class RequestValidationException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}

/// <summary>
/// One client wire format, and every decision that depends on it: request parsing, response and stream writing, its error
/// envelope, the ids and names it uses, its count-tokens and model-list shapes. One implementation per <see cref="ClientFormat"/>;
/// code outside <c>Translation/</c> asks the format instead of switching on <see cref="ClientFormat"/>.
/// </summary>
public interface IClientFormat
{
    ClientFormat Format { get; }

    /// <summary>The format's name in logs and <c>RequestCompleted</c> events (<c>openai-chat</c>, <c>anthropic</c> …).</summary>
    string WireName { get; }

    /// <summary>The id a response to <paramref name="requestId"/> (<c>req_…</c>) carries: the format's own prefix on the same random part.</summary>
    string ResponseId(string requestId);

    /// <summary>Writes <paramref name="error"/> as this format's error envelope (the whole JSON body).</summary>
    void WriteError(Utf8JsonWriter json, EdgeError error);

    /// <summary>The type (Anthropic, OpenAI) or status (Gemini) an in-stream error of this kind is given.</summary>
    string StreamErrorType(ErrorKind kind);

    /// <summary>
    /// Pass-through streams: whether the relay drops the upstream's usage-only events, because the edge forced the upstream
    /// to send them (<see cref="ApplyPassthroughEdits"/>) and the client did not ask (OpenAI chat: <c>stream_options.include_usage</c>).
    /// </summary>
    bool DropsUsageOnlyEvents(ChatRequest request) => false;

    /// <summary>The format's count-tokens route (Anthropic <c>count_tokens</c>, Gemini <c>countTokens</c>), or null.</summary>
    ITokenCountShape? TokenCount => null;

    /// <summary>The format's model list (OpenAI <c>/models</c>, Gemini <c>/v1beta/models</c>), or null.</summary>
    IModelListShape? ModelList => null;

    /// <summary>
    /// Request headers of the client that reach an upstream of its own format as they are, on pass-through only (Anthropic:
    /// <c>anthropic-beta</c>, which opts a request into the features its body uses). Never credentials: the upstream gets
    /// the provider's key.
    /// </summary>
    IReadOnlyList<string> PassthroughHeaders => [];

    /// <summary>Whether and how the format's responses are stored and continued (the Responses API), or null.</summary>
    IStoredResponses? StoredResponses => null;

    /// <summary>The upstream kind that speaks this format natively.</summary>
    UpstreamKind? NativeUpstream { get; }

    /// <summary>
    /// The upstream format this client's bodies pass through to on <paramref name="provider"/> (edited only by
    /// <see cref="ApplyPassthroughEdits"/>), or null when the request is translated for it. By default, a provider of the
    /// native kind; Responses also needs the provider to serve the Responses API.
    /// </summary>
    IUpstreamFormat? PassthroughTo(Provider provider) => provider.Kind == NativeUpstream ? FormatRegistry.Upstream(provider.Kind) : null;

    /// <summary>
    /// Validates and parses a request body. <paramref name="routeModel"/> and <paramref name="routeStream"/> come from the
    /// route for Gemini (model in the path, streaming by method); null for the others.
    /// </summary>
    ChatRequest ParseRequest(JsonObject body, string? routeModel, bool? routeStream);

    /// <summary>
    /// For pass-through: edits the client's own body in place, changing only what NexRelay must (model name, the output
    /// limit, and for OpenAI streams <c>stream_options.include_usage</c>), so unknown fields survive.
    /// </summary>
    void ApplyPassthroughEdits(JsonObject body, string upstreamModel, int maxOutputTokens, bool stream);

    JsonObject WriteResponse(ChatResponse response, string publicModel);

    /// <summary>Like the two-argument overload, for <paramref name="request"/>'s model, honouring what the request asked (Responses: its tools' names, its echoed fields).</summary>
    JsonObject WriteResponse(ChatResponse response, ChatRequest request) => WriteResponse(response, request.Model);

    IClientStreamWriter CreateStreamWriter(string responseId, string publicModel);

    /// <summary>
    /// Like the two-argument overload, but lets the writer honour options of the client's request (OpenAI chat: the usage
    /// chunk is written only when the client asked for <c>stream_options.include_usage</c>, see <see cref="ChatRequest.IncludeStreamUsage"/>).
    /// </summary>
    IClientStreamWriter CreateStreamWriter(string responseId, string publicModel, ChatRequest request) =>
        CreateStreamWriter(responseId, publicModel);
}

/// <summary>A format's count-tokens request and answer: the request is the format's own generation request, loosely.</summary>
public interface ITokenCountShape
{
    /// <summary>Parses a count-tokens body (which may leave out what generation requires) as a generation request.</summary>
    ChatRequest ParseRequest(JsonObject body, string? routeModel);

    /// <summary>Writes the answer body.</summary>
    void WriteAnswer(Utf8JsonWriter json, long inputTokens);
}

/// <summary>A format's model list and single-model answers.</summary>
public interface IModelListShape
{
    Task WriteListAsync(HttpResponse response, IEnumerable<CatalogModel> models, CancellationToken ct);

    Task WriteModelAsync(HttpResponse response, CatalogModel model, CancellationToken ct);
}

/// <summary>Turns neutral events into this format's SSE bytes. Stateful per response.</summary>
public interface IClientStreamWriter
{
    void Write(StreamEvent streamEvent, IBufferWriter<byte> output);
    /// <summary>Closing events ([DONE], message_stop, response.completed …), with the final usage when known.</summary>
    void Complete(Usage? usage, IBufferWriter<byte> output);
    /// <summary>An error after streaming began, in this format's in-stream error grammar.</summary>
    void WriteError(string errorType, string message, IBufferWriter<byte> output);
}

/// <summary>The HTTP request to send upstream: a path relative to the upstream base URL (with query) and a JSON body.</summary>
public sealed record UpstreamHttpRequest(string PathAndQuery, JsonObject Body);

/// <summary>One upstream wire format. One implementation per <see cref="UpstreamKind"/>.</summary>
public interface IUpstreamFormat
{
    UpstreamKind Kind { get; }

    /// <summary>Builds the upstream request from a neutral one (translation) with an explicit output limit.</summary>
    UpstreamHttpRequest BuildRequest(ChatRequest request, string upstreamModel, int maxOutputTokens, bool stream);

    /// <summary>The path for a pass-through body (the body itself is edited by the client format).</summary>
    string PassthroughPath(string upstreamModel, bool stream);

    ChatResponse ParseResponse(JsonObject body);

    IUpstreamStreamParser CreateStreamParser();

    /// <summary>Reads the human message out of an upstream error body, if it has one.</summary>
    string? ReadErrorMessage(JsonNode? body);
}

/// <summary>Parses one upstream SSE event at a time into neutral events. Stateful per response.</summary>
public interface IUpstreamStreamParser
{
    /// <param name="eventName">The SSE <c>event:</c> field, or null.</param>
    /// <param name="data">The SSE <c>data:</c> payload (multi-line data joined with \n).</param>
    void Parse(string? eventName, ReadOnlySpan<byte> data, List<StreamEvent> output);
}
