using System.Text.Json;
using System.Text.Json.Serialization;

namespace NexRelay.Contracts.Responses;

/// <summary>
/// One stored Responses API response, as the edge hands it to the logging service (<c>PUT /admin/v1/responses/{id}</c>) and
/// reads it back: the owner it belongs to, the input items it answered and the response object the client got, both as JSON
/// kept verbatim (docs/architecture.md, "Stored responses").
/// </summary>
public sealed record StoredResponse
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("wallet_id")]
    public required Guid WalletId { get; init; }

    [JsonPropertyName("key_id")]
    public required Guid KeyId { get; init; }

    [JsonPropertyName("request_id")]
    public required string RequestId { get; init; }

    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("created_at")]
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>A JSON array: every input item of the conversation so far, this response's own input last.</summary>
    [JsonPropertyName("input")]
    public required JsonElement Input { get; init; }

    /// <summary>The response object (<c>"object": "response"</c>) as the client got it.</summary>
    [JsonPropertyName("response")]
    public required JsonElement Response { get; init; }
}
