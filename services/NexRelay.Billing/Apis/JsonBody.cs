using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace NexRelay.Billing.Apis;

/// <summary>Reads a JSON body ourselves so malformed JSON, wrong types and absurd numbers become a 400 naming the field, never a 500.</summary>
internal static class JsonBody
{
    private const long MaxBodyBytes = 64 * 1024;

    public static async Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > MaxBodyBytes)
            return (null, new() { ["body"] = [$"At most {MaxBodyBytes} bytes."] });
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken);
            return value is null ? (null, new() { ["body"] = ["A JSON object is required."] }) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, new() { [HoldsApi.JsonField(ex.Path) ?? "body"] = ["Malformed JSON or a value of the wrong type: " + ex.Message] });
        }
    }
}
