using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Contracts.Messages;

namespace NexRelay.Edge.Events;

/// <summary>
/// <c>POST /internal/events/spool</c>: another edge, stopping with events RabbitMQ has not confirmed, hands them over
/// (<see cref="SpoolHandoff"/>). They go into this replica's spool (fsynced before the answer), are replayed like its own,
/// and their reservations are kept alive until then. Internal token required (the <c>/internal</c> prefix).
/// </summary>
internal static class SpoolHandoffApi
{
    public const string Path = "/internal/events/spool";

    public static WebApplication MapSpoolHandoffApi(this WebApplication app)
    {
        app.MapPost(Path, Adopt).ExcludeFromDescription();
        return app;
    }

    // The events travel as the spool stores them (web JSON, camelCase), not in the edge's public snake_case.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Adopt(HttpRequest request, EventSpool spool,
        IEventConfirmations confirmations, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        // A replica that is stopping itself would only have to hand them on again: the sender tries another.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Stopping", detail: "This edge is stopping.");
        RequestCompleted?[]? events;
        try
        {
            events = await JsonSerializer.DeserializeAsync<RequestCompleted?[]>(request.Body, Json, cancellationToken);
        }
        catch (JsonException)
        {
            events = null;
        }
        if (events is null || events.Length is 0 or > SpoolHandoff.ChunkSize || events.Any(e => e is null || string.IsNullOrEmpty(e.RequestId)))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["body"] = [$"A JSON array of 1 to {SpoolHandoff.ChunkSize} request events, each with its requestId."],
            });
        var taken = events.Select(e => e!).ToArray();
        spool.Append(taken, flushToDisk: true);
        confirmations.Unconfirmed(taken);
        return TypedResults.NoContent();
    }
}
