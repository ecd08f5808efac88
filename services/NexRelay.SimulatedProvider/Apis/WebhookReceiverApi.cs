using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.HttpResults;

namespace NexRelay.SimulatedProvider.Apis;

/// <summary>
/// A webhook receiver for billing's notifications, for runs and tests: <c>POST /sim/webhooks/{name}</c> stores what it got
/// (body and NexRelay's headers) and answers 200, or 503 for the first <c>fail_first</c> deliveries, or 302 to
/// <c>redirect_to</c>; <c>GET /sim/webhooks/{name}</c> lists every delivery, answered or not, oldest first;
/// <c>PUT /sim/webhooks/{name}/config</c> sets the knobs. Kept in memory, per name.
/// </summary>
internal static class WebhookReceiverApi
{
    private static readonly ConcurrentDictionary<string, Receiver> Receivers = new(StringComparer.Ordinal);

    public static RouteGroupBuilder MapWebhookReceiverApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/sim/webhooks/{name}").WithTags("Simulator");
        group.MapPost("/", ReceiveAsync).WithName("ReceiveWebhook");
        group.MapGet("/", (string name) => TypedResults.Ok(Receivers.GetOrAdd(name, _ => new()).Snapshot())).WithName("ListWebhooks");
        group.MapPut("/config", (string name, ReceiverConfig config) =>
        {
            var receiver = Receivers.GetOrAdd(name, _ => new());
            lock (receiver) receiver.Config = config;
            return TypedResults.Ok(config);
        }).WithName("ConfigureWebhooks");
        return group;
    }

    private static async Task<IResult> ReceiveAsync(string name, HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        var receiver = Receivers.GetOrAdd(name, _ => new());
        int status;
        string? location = null;
        lock (receiver)
        {
            var config = receiver.Config;
            if (config.RedirectTo is { } to) (status, location) = (302, to);
            else status = receiver.Received.Count < config.FailFirst ? 503 : 200;
            receiver.Received.Add(new ReceivedWebhook(body, request.Headers["x-nexrelay-signature"].ToString(),
                request.Headers["x-nexrelay-event-id"].ToString(), request.Headers["x-nexrelay-event-type"].ToString(), status, DateTimeOffset.UtcNow));
        }
        if (location is not null) return TypedResults.Redirect(location);
        return status == 200 ? TypedResults.Ok() : TypedResults.StatusCode(status);
    }

    private sealed class Receiver
    {
        public ReceiverConfig Config { get; set; } = new(0, null);
        public List<ReceivedWebhook> Received { get; } = [];

        public ReceivedWebhook[] Snapshot()
        {
            lock (this) return [.. Received];
        }
    }
}

internal sealed record ReceiverConfig(int FailFirst, string? RedirectTo);

/// <param name="AnsweredStatus">What the receiver answered this delivery.</param>
internal sealed record ReceivedWebhook(string Body, string Signature, string EventId, string EventType, int AnsweredStatus, DateTimeOffset ReceivedAt);
