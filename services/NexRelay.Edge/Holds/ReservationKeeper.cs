using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Billing;

namespace NexRelay.Edge.Holds;

/// <summary>
/// Keeps the reservations of requests that are still running alive at billing, so a stream longer than billing's hold
/// timeout never has its money released under it (services/NexRelay.Billing/README.md, "Charging rules"). Every per-request
/// hold and every credit lease with requests in flight is renewed once a third of billing's timeout has passed since it was
/// placed or last renewed: short requests (nearly all) never cost a renewal. A replica that dies stops renewing, and its
/// reservations are released as orphans one timeout later, as before.
/// </summary>
public sealed partial class ReservationKeeper(IHttpClientFactory httpClientFactory, IOptions<HoldClientOptions> holdOptions,
    CreditLeases leases, TimeProvider clock, ILogger<ReservationKeeper> logger) : BackgroundService
{
    /// <summary>When billing did not say its timeout (an older billing), renew this often: well within its 900 s default.</summary>
    internal static readonly TimeSpan DefaultRenewInterval = TimeSpan.FromSeconds(60);
    private const int MaxIdsPerCall = 10_000;
    private readonly ConcurrentDictionary<string, Reservation> _holds = new(StringComparer.Ordinal);

    /// <summary>Per-request holds being kept alive (for tests and diagnostics).</summary>
    public int TrackedHolds => _holds.Count;

    /// <summary>A per-request hold was granted: keep it alive until <see cref="Release"/>.</summary>
    public void Track(string requestId, int holdTimeoutSeconds) =>
        _holds[requestId] = new Reservation(RenewInterval(holdTimeoutSeconds), clock.GetUtcNow().UtcTicks);

    /// <summary>The request ended: its hold is settled (or released) by its event, not kept any longer.</summary>
    public void Release(string requestId) => _holds.TryRemove(requestId, out _);

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
            if (reservation.Due(now)) holds.Add((id, reservation));
        }
        var dueLeases = leases.Live.Where(l => !l.Closed && l.InFlight > 0 && l.RenewalDue(now)).ToList();
        if (holds.Count == 0 && dueLeases.Count == 0) return;

        for (var offset = 0; offset < Math.Max(holds.Count, dueLeases.Count); offset += MaxIdsPerCall)
        {
            var holdChunk = holds.Skip(offset).Take(MaxIdsPerCall).ToList();
            var leaseChunk = dueLeases.Skip(offset).Take(MaxIdsPerCall).ToList();
            var request = new RenewRequest { Holds = [.. holdChunk.Select(h => h.Id)], Leases = [.. leaseChunk.Select(l => l.Id)] };
            try
            {
                var renewed = await BillingCall.PostAsync(httpClientFactory.CreateClient(HttpHoldService.HttpClientName), holdOptions.Value,
                    "/internal/reservations/renew", request, RenewClientJson.Default.RenewRequest,
                    async (response, token) => response.IsSuccessStatusCode
                        ? await response.Content.ReadFromJsonAsync(RenewClientJson.Default.RenewResponse, token) ?? new RenewResponse()
                        : throw new BillingUnavailableException($"Billing rejected a renewal with {(int)response.StatusCode}."),
                    "renewal", attemptFailed: null, cancellationToken);
                foreach (var (_, reservation) in holdChunk) reservation.Renewed(now);
                foreach (var lease in leaseChunk) lease.Renewed(now);
                LogRenewed(logger, renewed.Holds, holdChunk.Count, renewed.Leases, leaseChunk.Count);
            }
            catch (BillingUnavailableException ex)
            {
                LogRenewFailed(logger, holdChunk.Count, leaseChunk.Count, ex.Message);
            }
        }
    }

    private sealed class Reservation(TimeSpan interval, long sinceTicks)
    {
        private long _sinceTicks = sinceTicks;

        public bool Due(long nowTicks) => nowTicks - Interlocked.Read(ref _sinceTicks) >= interval.Ticks;

        public void Renewed(long nowTicks) => Interlocked.Exchange(ref _sinceTicks, nowTicks);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Renewed {Holds} of {HoldsAsked} holds and {Leases} of {LeasesAsked} leases of running requests")]
    private static partial void LogRenewed(ILogger logger, int holds, int holdsAsked, int leases, int leasesAsked);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing {Holds} holds and {Leases} leases of running requests failed: {Error}; retrying")]
    private static partial void LogRenewFailed(ILogger logger, int holds, int leases, string error);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RenewRequest))]
[JsonSerializable(typeof(RenewResponse))]
internal sealed partial class RenewClientJson : JsonSerializerContext;
