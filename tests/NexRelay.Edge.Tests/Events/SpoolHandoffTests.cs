using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NexRelay.Edge.Events;
using NexRelay.Billing.Client;
using NexRelay.ServiceDefaults.Internal;
using NexRelay.Testing;

namespace NexRelay.Edge.Tests.Events;

/// <summary>
/// Issue 17, scenario 4 in Kubernetes: a replica that stops while RabbitMQ is unreachable hands its unconfirmed events to
/// another edge (a real edge on a real port) instead of leaving them on a disk that goes with the pod. The peer spools them
/// durably and keeps their reservations alive.
/// </summary>
public sealed class SpoolHandoffTests : IAsyncLifetime
{
    private const string InternalToken = "edge-tests-internal-token-0123456789";
    private readonly string _senderSpool = Path.Combine(Path.GetTempPath(), $"nexrelay-handoff-a-{Guid.NewGuid():N}");
    private readonly string _peerSpool = Path.Combine(Path.GetTempPath(), $"nexrelay-handoff-b-{Guid.NewGuid():N}");
    private ServiceFactory<Program> _peer = null!;
    private Uri _peerAddress = null!;

    public Task InitializeAsync()
    {
        // The peer cannot reach RabbitMQ either (the outage is everyone's): what it takes stays in its spool.
        _peer = new ServiceFactory<Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = TestInfrastructure.Redis,
            ["ConnectionStrings:messaging"] = EventHosts.UnreachableBroker(),
            ["NexRelay:AdminToken"] = "edge-tests-admin-token-0123456789abcdef",
            ["NexRelay:KeyHashSecret"] = "edge-tests-key-hash-secret-0123456789abcdef",
            ["NexRelay:InternalToken"] = InternalToken,
            ["services:billing:http:0"] = "http://127.0.0.1:9",
            ["services:keypolicy:http:0"] = "http://127.0.0.1:9",
            ["services:logging:http:0"] = "http://127.0.0.1:9",
            ["Edge:SpoolPath"] = _peerSpool,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        _peer.StartServer();
        var address = _peer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _peerAddress = new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").Replace("localhost", "127.0.0.1"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _peer.DisposeAsync();
        foreach (var dir in new[] { _senderSpool, _peerSpool }.Where(Directory.Exists)) Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task A_replica_stopping_during_a_broker_outage_hands_its_spool_to_a_peer_which_keeps_the_reservations()
    {
        using var sender = await EventHosts.StartPublisherAsync(EventHosts.UnreachableBroker(), _senderSpool, extra: new()
        {
            ["Edge:SpoolHandoffUrl"] = _peerAddress.ToString(),
            ["NexRelay:InternalToken"] = InternalToken,
        });
        var events = sender.Services.GetRequiredService<IRequestEventPublisher>();
        var ids = Enumerable.Range(0, 1_500).Select(i => $"req_handoff_{Guid.NewGuid():N}_{i}").ToList();
        foreach (var id in ids) events.Publish(EventHosts.Event(id) with { HeldMicros = 1_000 });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (EventHosts.SpooledEvents(_senderSpool) < ids.Count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{EventHosts.SpooledEvents(_senderSpool)} of {ids.Count} events spooled");
            await Task.Delay(100);
        }

        await sender.StopAsync();

        // Everything moved (in chunks of 1,000), nothing left behind or taken twice.
        Assert.Equal(0, EventHosts.SpooledEvents(_senderSpool));
        Assert.Equal(ids.Count, EventHosts.SpooledEvents(_peerSpool));
        var spooled = _peer.Services.GetRequiredService<EventSpool>();
        var taken = spooled.Seal().SelectMany(spooled.Read).Select(e => e.RequestId).ToList();
        Assert.Equal(ids.Order(), taken.Order());
        Assert.Equal(ids.Count, _peer.Services.GetRequiredService<ReservationKeeper>().TrackedHolds);
    }

    [Fact]
    public async Task The_peer_takes_nothing_without_the_internal_token_or_from_a_malformed_body()
    {
        using var client = new HttpClient { BaseAddress = _peerAddress };
        using (var anonymous = await client.PostAsJsonAsync(SpoolHandoffApi.Path, new[] { EventHosts.Event("req_x") }))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        client.DefaultRequestHeaders.Add(InternalAuth.HeaderName, InternalToken);
        foreach (var body in new[] { "[]", "{}", "not json", """[{"requestId":""}]""", "[null]" })
        {
            using var response = await client.PostAsync(SpoolHandoffApi.Path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode}");
        }
        Assert.Equal(0, EventHosts.SpooledEvents(_peerSpool));
    }
}
