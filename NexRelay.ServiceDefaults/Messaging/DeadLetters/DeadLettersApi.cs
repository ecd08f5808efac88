using System.Globalization;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

public sealed record DeadLetterPage(IReadOnlyList<DeadLetterEntry> Data, string? NextCursor);

public sealed record RequeueResult(int Requeued);

/// <summary>
/// A service's dead letters under its admin API (the service requires the admin policy on the group): list them (newest first, paged),
/// show, re-queue one or all to the consumer's own queue, discard one. Errors are ProblemDetails with a stable type.
/// </summary>
public static partial class DeadLettersApi
{
    private const string IdParameter = "dead_letter_id";
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapDeadLettersApi(this IEndpointRouteBuilder app, string pattern)
    {
        var group = app.MapGroup(pattern).WithTags("Dead letters");
        group.MapGet("/", ListAsync).WithName("ListDeadLetters");
        group.MapGet($"/{{{IdParameter}}}", GetAsync).WithName("GetDeadLetter");
        group.MapDelete($"/{{{IdParameter}}}", DiscardAsync).WithName("DiscardDeadLetter");
        group.MapPost($"/{{{IdParameter}}}/requeue", RequeueOneAsync).WithName("RequeueDeadLetter");
        group.MapPost("/requeue", RequeueAllAsync).WithName("RequeueDeadLetters");
        return group;
    }

    public static async Task<Results<Ok<DeadLetterPage>, ValidationProblem>> ListAsync(string? limit, string? cursor, DeadLetterStore store,
        CancellationToken cancellationToken)
    {
        var (pageSize, before) = SequencePageQuery.Parse(limit, cursor, DefaultLimit, MaxLimit, out var errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: $"Invalid query parameter(s): {string.Join(", ", errors.Keys)}.",
                type: ProblemTypes.InvalidRequest);
        }

        var entries = await store.ListAsync(before, pageSize + 1, cancellationToken);
        var hasMore = entries.Count > pageSize;
        if (hasMore) entries.RemoveAt(entries.Count - 1);
        return TypedResults.Ok(new DeadLetterPage(entries, hasMore ? entries[^1].Id.ToString(CultureInfo.InvariantCulture) : null));
    }

    public static async Task<Results<Ok<DeadLetterEntry>, ProblemHttpResult>> GetAsync([FromRoute(Name = IdParameter)] string id,
        DeadLetterStore store, CancellationToken cancellationToken) =>
        ParseId(id) is { } letterId && await store.GetAsync(letterId, cancellationToken) is { } entry ? TypedResults.Ok(entry) : Unknown(id);

    /// <summary>Drops a dead letter for good (one that can never be processed); answers with what was dropped.</summary>
    public static async Task<Results<Ok<DeadLetterEntry>, ProblemHttpResult>> DiscardAsync([FromRoute(Name = IdParameter)] string id,
        DeadLetterStore store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } letterId || await store.DeleteAsync(letterId, cancellationToken) is not { } entry) return Unknown(id);
        LogDiscarded(loggers.CreateLogger(typeof(DeadLettersApi).FullName!), entry.Id, entry.RequestId);
        return TypedResults.Ok(entry);
    }

    public static async Task<Results<Accepted<RequeueResult>, ProblemHttpResult>> RequeueOneAsync([FromRoute(Name = IdParameter)] string id,
        DeadLetterStore store, ConsumerQueue queue, IBus bus, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (ParseId(id) is not { } letterId) return Unknown(id);
        var result = await RequeueAsync(letterId, store, queue, bus, loggers, cancellationToken);
        return result.Result is Accepted<RequeueResult> { Value.Requeued: 0 } ? Unknown(id) : result;
    }

    public static Task<Results<Accepted<RequeueResult>, ProblemHttpResult>> RequeueAllAsync(DeadLetterStore store, ConsumerQueue queue,
        IBus bus, ILoggerFactory loggers, CancellationToken cancellationToken) => RequeueAsync(null, store, queue, bus, loggers, cancellationToken);

    /// <summary>
    /// Sends the events back to the consumer's own queue as single <c>RequestCompleted</c> messages (batched again there, and
    /// settled or stored like any other: idempotently by request id, so a re-queued event that already went through changes
    /// nothing). 202: they are queued, not yet processed; one that fails again is dead-lettered anew.
    /// </summary>
    private static async Task<Results<Accepted<RequeueResult>, ProblemHttpResult>> RequeueAsync(long? id, DeadLetterStore store,
        ConsumerQueue queue, IBus bus, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (queue.Address is not { } address) return Unavailable("the consumer's queue is not configured yet");
        try
        {
            var requeued = await store.RequeueAsync(id, async (events, ct) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(SendTimeout);
                var endpoint = await bus.GetSendEndpoint(address);
                await endpoint.SendBatch(events.Select(e => new RequestCompletedJson(e)), timeout.Token);
            }, cancellationToken);
            return TypedResults.Accepted((string?)null, new RequeueResult(requeued));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A chunk whose send failed stays listed (its transaction rolls back); chunks sent before it stay re-queued.
            LogRequeueFailed(loggers.CreateLogger(typeof(DeadLettersApi).FullName!), ex);
            return Unavailable($"RabbitMQ or the database did not answer ({ex.GetType().Name}); what was not sent is still listed");
        }
    }

    private static long? ParseId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;

    private static ProblemHttpResult Unknown(string id) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound,
        title: "Unknown dead letter", detail: $"dead_letter_id: no dead letter '{id}'.", type: ProblemTypes.NotFound);

    private static ProblemHttpResult Unavailable(string why) => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Service Unavailable", detail: $"Could not re-queue: {why}. Try again shortly.", type: ProblemTypes.ServiceUnavailable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-queueing dead letters failed")]
    private static partial void LogRequeueFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Discarded dead letter {Id} (request {RequestId})")]
    private static partial void LogDiscarded(ILogger logger, long id, string? requestId);
}

/// <summary>The consumer's own receive endpoint, where re-queued dead letters go; its definition sets it while the bus is configured.</summary>
public sealed class ConsumerQueue
{
    public Uri? Address { get; set; }
}
