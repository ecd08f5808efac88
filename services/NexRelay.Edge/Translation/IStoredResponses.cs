using System.Text.Json;
using System.Text.Json.Nodes;

namespace NexRelay.Edge.Translation;

/// <summary>
/// A format whose responses are kept for the key's owner and continued by later requests (the OpenAI Responses API's
/// <c>store</c> and <c>previous_response_id</c>). The edge's <c>Responses/ResponseStore</c> keeps them at the logging service;
/// the format says what in its bodies refers to them (docs/architecture.md, "Stored responses").
/// </summary>
public interface IStoredResponses
{
    /// <summary>The longest response id stored (the logging service's limit): a longer one is neither stored nor looked up.</summary>
    const int MaxIdLength = 256;

    /// <summary>The id of the stored response this request continues, or null. Throws <see cref="RequestValidationException"/> for a bad value.</summary>
    string? ContinuesFrom(JsonObject body);

    /// <summary>
    /// Puts the stored conversation (its input items, then its response's output items) before the request's own input, so
    /// that every upstream, translated or not, gets the whole conversation and the hold counts all of it.
    /// </summary>
    void Continue(JsonObject body, JsonElement storedInput, JsonElement storedResponse);

    /// <summary>Whether the request asked for its response to be stored (the Responses API stores by default).</summary>
    bool Stores(JsonObject body);

    /// <summary>The request's input as a list of items, as it is stored (after <see cref="Continue"/>: the whole conversation).</summary>
    JsonArray InputItems(JsonObject body);

    /// <summary>The response object the client got: the answer itself, or the final event of a stream; null when it did not finish.</summary>
    JsonObject? Answered(ReadOnlySpan<byte> answer, bool stream);
}
