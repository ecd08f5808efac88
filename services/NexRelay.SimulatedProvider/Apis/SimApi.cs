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
            ? TypedResults.Ok(new TagCount(tag, counts.Get(tag)))
            : TypedResults.Problem(
                $"A tag is 1..{Knobs.MaxTagLength} characters from A-Z a-z 0-9 - _ . ~; '{tag}' could never be counted.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid tag", type: ProblemTypes.InvalidRequest);
}

internal sealed record TagCount(string Tag, long Count);

internal sealed record RequestCount(long Count);
