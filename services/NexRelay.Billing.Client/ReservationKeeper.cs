using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Billing;
using NexRelay.Contracts.Messages;

namespace NexRelay.Billing.Client;

/// <summary>
/// Keeps reservations alive at billing while they are still needed, so money is never released under a request that will
/// still be charged (services/NexRelay.Billing/README.md, "Charging rules"):
/// <list type="bullet">
/// <item>a running request's hold or credit lease, so a stream longer than billing's hold timeout keeps its money;</item>
/// <item>a finished request's hold or lease until RabbitMQ confirms its settlement event (<see cref="Confirmed"/>):
/// during a broker outage the event waits in the spool, and a reservation released meanwhile would be captured late, from
/// money the key holder may have spent again. Events a killed or stopped process left in the spool are adopted at start.</item>
/// </list>
/// Each is renewed once a third of billing's timeout has passed since it was placed or last renewed: short requests (nearly
/// all) never cost a renewal. A replica that dies stops renewing, and its reservations are released as orphans one timeout
/// later, as before (what its spool holds is renewed again once it restarts).
/// <para>
/// Who publishes the settlement events (the edge's publisher and spool) is the edge's business: it tells the keeper through
/// <see cref="Confirmed"/> and <see cref="Unconfirmed"/>, so this client needs nothing of the edge (the edge adapts its
/// <c>IEventConfirmations</c> to these two calls).
/// </para>
/// </summary>
public sealed partial class ReservationKeeper(IHttpClientFactory httpClientFactory, IOptions<HoldClientOptions> holdOptions,
    CreditLeases leases, TimeProvider clock, ILogger<ReservationKeeper> logger) : BackgroundService
{
    /// <summary>When billing did not say its timeout (an older billing, or a reservation adopted from the spool), renew this often: well within its 900 s default.</summary>
    internal static readonly TimeSpan DefaultRenewInterval = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A finished request whose event is never confirmed (its spool write failed too) is not kept alive forever: after this
    /// its reservation is left to billing's expiry. Far longer than any broker outage the spool is meant to ride out.
    /// </summary>
    internal static readonly TimeSpan MaxKeepAlive = TimeSpan.FromHours(24);

    private const int MaxIdsPerCall = 10_000;
    private readonly ConcurrentDictionary<string, Reservation> _holds = new(StringComparer.Ordinal);
    // Leases with finished requests whose events are not yet confirmed, and how many (a lease is renewed, open or closed, while any wait).
    private readonly Dictionary<string, AwaitingLease> _awaitingLeases = new(StringComparer.Ordinal);
    private readonly Lock _leaseGate = new();

    /// <summary>Per-request holds being kept alive (for tests and diagnostics).</summary>
    public int TrackedHolds => _holds.Count;

    /// <summary>Leases kept alive for finished requests whose events are not yet confirmed (for tests and diagnostics).</summary>
    public int AwaitingLeases
    {
        get { lock (_leaseGate) return _awaitingLeases.Count; }
    }

    /// <summary>A per-request hold was granted: keep it alive until its event is confirmed (or <see cref="Release"/>).</summary>
    public void Track(string requestId, int holdTimeoutSeconds) =>
        _holds[requestId] = new Reservation(RenewInterval(holdTimeoutSeconds), clock.GetUtcNow().UtcTicks, clock.GetUtcNow().UtcTicks);

    /// <summary>The request ended without an event to settle it: nothing to keep alive.</summary>
    public void Release(string requestId) => _holds.TryRemove(requestId, out _);

    /// <summary>A request against <paramref name="lease"/> finished: keep the lease alive until its event is confirmed.</summary>
    public void AwaitSettlement(CreditLease lease) => Await(lease.Id, lease.RenewInterval, clock.GetUtcNow().UtcTicks);

    /// <summary>RabbitMQ confirmed these events: their settlements are on their way to billing, their reservations no longer needed.</summary>
    public void Confirmed(IReadOnlyList<RequestCompleted> events)
    {
        foreach (var message in events)
        {
            if (message.LeaseId is { } leaseId)
            {
                lock (_leaseGate)
                {
                    if (_awaitingLeases.TryGetValue(leaseId, out var awaiting) && --awaiting.Count <= 0) _awaitingLeases.Remove(leaseId);
                }
            }
            else
            {
                _holds.TryRemove(message.RequestId, out _);
            }
        }
    }

    /// <summary>Events a previous process left unconfirmed (found in the spool at start): keep their reservations alive.</summary>
    public void Unconfirmed(IEnumerable<RequestCompleted> events)
    {
        // When they were last renewed is unknown (the process that could say is gone): renew at the next tick.
        var adopted = 0;
        foreach (var message in events.Where(e => e.HeldMicros > 0))
        {
            if (message.LeaseId is { } leaseId) Await(leaseId, DefaultRenewInterval, sinceTicks: 0);
            else _holds.TryAdd(message.RequestId, new Reservation(DefaultRenewInterval, sinceTicks: 0, clock.GetUtcNow().UtcTicks));
            adopted++;
        }
        if (adopted > 0) LogAdopted(logger, adopted);
    }

    internal static TimeSpan RenewInterval(int holdTimeoutSeconds) =>
        holdTimeoutSeconds > 0 ? TimeSpan.FromSeconds(holdTimeoutSeconds / 3.0) : DefaultRenewInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await RenewDueAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Renews every reservation due; a failed renewal is tried again at the next tick.</summary>
    internal async Task RenewDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcTicks;
        var holds = new List<(string Id, Reservation Reservation)>();
        foreach (var (id, reservation) in _holds)
        {
            if (reservation.Expired(now)) _holds.TryRemove(id, out _);
            else if (reservation.Due(now)) holds.Add((id, reservation));
        }
        // Running requests' leases, and those awaiting confirmations (open or already closed at billing).
        var dueLeases = leases.Live.Where(l => !l.Closed && l.InFlight > 0 && l.RenewalDue(now))
            .Select(l => (l.Id, Renewed: (Action<long>)l.Renewed)).ToList();
        lock (_leaseGate)
        {
            foreach (var (id, awaiting) in _awaitingLeases.ToList())
            {
                if (awaiting.Reservation.Expired(now)) _awaitingLeases.Remove(id);
                else if (awaiting.Reservation.Due(now)) dueLeases.Add((id, awaiting.Reservation.Renewed));
            }
        }
        if (holds.Count == 0 && dueLeases.Count == 0) return;

        for (var offset = 0; offset < Math.Max(holds.Count, dueLeases.Count); offset += MaxIdsPerCall)
        {
            var holdChunk = holds.Skip(offset).Take(MaxIdsPerCall).ToList();
            var leaseChunk = dueLeases.Skip(offset).Take(MaxIdsPerCall).ToList();
            var request = new RenewRequest { Holds = [.. holdChunk.Select(h => h.Id)], Leases = [.. leaseChunk.Select(l => l.Id).Distinct()] };
            try
            {
                var renewed = await BillingCall.PostAsync(httpClientFactory.CreateClient(HttpHoldService.HttpClientName), holdOptions.Value,
                    "/internal/reservations/renew", request, RenewClientJson.Default.RenewRequest,
                    async (response, token) => response.IsSuccessStatusCode
                        ? await response.Content.ReadFromJsonAsync(RenewClientJson.Default.RenewResponse, token) ?? new RenewResponse()
                        : throw new BillingUnavailableException($"Billing rejected a renewal with {(int)response.StatusCode}."),
                    "renewal", attemptFailed: null, cancellationToken);
                foreach (var (_, reservation) in holdChunk) reservation.Renewed(now);
                foreach (var (_, markRenewed) in leaseChunk) markRenewed(now);
                LogRenewed(logger, renewed.Holds, holdChunk.Count, renewed.Leases, request.Leases.Count);
            }
            catch (BillingUnavailableException ex)
            {
                LogRenewFailed(logger, holdChunk.Count, leaseChunk.Count, ex.Message);
            }
        }
    }

    private void Await(string leaseId, TimeSpan interval, long sinceTicks)
    {
        lock (_leaseGate)
        {
            if (_awaitingLeases.TryGetValue(leaseId, out var awaiting)) awaiting.Count++;
            else _awaitingLeases[leaseId] = new AwaitingLease(new Reservation(interval, sinceTicks, clock.GetUtcNow().UtcTicks));
        }
    }

    private sealed class Reservation(TimeSpan interval, long sinceTicks, long trackedTicks = 0)
    {
        private long _sinceTicks = sinceTicks;

        public bool Due(long nowTicks) => nowTicks - Interlocked.Read(ref _sinceTicks) >= interval.Ticks;

        public bool Expired(long nowTicks) => trackedTicks > 0 && nowTicks - trackedTicks >= MaxKeepAlive.Ticks;

        public void Renewed(long nowTicks) => Interlocked.Exchange(ref _sinceTicks, nowTicks);
    }

    private sealed class AwaitingLease(Reservation reservation)
    {
        public Reservation Reservation { get; } = reservation;
        public int Count { get; set; } = 1;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Renewed {Holds} of {HoldsAsked} holds and {Leases} of {LeasesAsked} leases of running requests")]
    private static partial void LogRenewed(ILogger logger, int holds, int holdsAsked, int leases, int leasesAsked);

    [LoggerMessage(Level = LogLevel.Information, Message = "Keeping {Count} reservations alive for events a previous process left unconfirmed in the spool")]
    private static partial void LogAdopted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing {Holds} holds and {Leases} leases of running requests failed: {Error}; retrying")]
    private static partial void LogRenewFailed(ILogger logger, int holds, int leases, string error);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RenewRequest))]
[JsonSerializable(typeof(RenewResponse))]
internal sealed partial class RenewClientJson : JsonSerializerContext;
