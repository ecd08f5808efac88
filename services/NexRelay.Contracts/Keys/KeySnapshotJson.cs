using System.Text.Json;

namespace NexRelay.Contracts.Keys;

/// <summary>
/// The one JSON shape of <see cref="KeySnapshot"/> — snake_case, like every NexRelay HTTP API — used for the Redis entry
/// and the lookup-by-hash response alike, so writer and reader cannot drift apart.
/// </summary>
public static class KeySnapshotJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static string Serialize(KeySnapshot snapshot) => JsonSerializer.Serialize(snapshot, Options);

    public static KeySnapshot? Deserialize(string json) => JsonSerializer.Deserialize<KeySnapshot>(json, Options);
}
