using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.ServiceDefaults;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Apis;

/// <summary>The simulator's own test API: <c>GET /sim/requests</c> and <c>/sim/requests/{tag}</c>. No API key, like the other test aids.</summary>
internal static class SimApi
{
    public static RouteGroupBuilder MapSimApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/sim").WithTags("Simulator");
        group.MapGet("/requests", (RequestTotal total) => TypedResults.Ok(new RequestCount(total.Count))).WithName("GetRequestTotal");
        group.MapGet("/requests/{tag}", GetRequestCount).WithName("GetRequestCount");
        return group;
    }

    /// <summary>Requests that carried <paramref name="tag"/> so far (0 when none did).</summary>
    public static Results<Ok<TagCount>, ProblemHttpResult> GetRequestCount(string tag, TagCounts counts) =>
        Knobs.IsValidTag(tag)
            ? TypedResults.Ok(TagCount.Of(tag, counts.Seen(tag)))
            : TypedResults.Problem(
                $"A tag is 1..{Knobs.MaxTagLength} characters from A-Z a-z 0-9 - _ . ~; '{tag}' could never be counted.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid tag", type: ProblemTypes.InvalidRequest);
}

/// <param name="AnthropicBeta">The <c>anthropic-beta</c> header of the tag's last request (left out when it had none).</param>
internal sealed record TagCount(string Tag, long Count,
    [property: JsonPropertyName("anthropic_beta"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AnthropicBeta = null)
{
    public static TagCount Of(string tag, (long Count, string? AnthropicBeta) seen) => new(tag, seen.Count, seen.AnthropicBeta);
}

internal sealed record RequestCount(long Count);
