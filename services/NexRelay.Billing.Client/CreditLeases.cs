using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Billing;

namespace NexRelay.Billing.Client;

/// <summary>
/// This replica's credit leases, one open lease per key at a time (docs/architecture.md). <see cref="TryReserveAsync"/> is the hot path:
/// an in-memory reservation against the key's open lease, taking a new lease from billing (one call shared by the requests
/// that wait for it) when there is none or it ran short. It returns null when the request should hold at billing instead:
/// leases are off, the request's worst case is too large for a lease, or billing refused one (small balance or budget).
/// A background sweep retires idle and expired leases and closes retired ones once their last request has finished.
/// </summary>
public sealed partial class CreditLeases(IHttpClientFactory httpClientFactory, IOptions<LeaseOptions> options,
    IOptions<HoldClientOptions> holdOptions, TimeProvider clock, ILogger<CreditLeases> logger) : BackgroundService
{
    private readonly LeaseOptions _options = options.Value;
    private readonly ConcurrentDictionary<Guid, KeySlot> _slots = new();
    // Every lease not yet closed at billing, current or retired: the sweep's work list.
    private readonly ConcurrentDictionary<string, CreditLease> _live = new(StringComparer.Ordinal);

    /// <summary>Leases this replica has open or still has to close (for tests and diagnostics).</summary>
    public IReadOnlyCollection<CreditLease> Live => _live.Values.ToList();

    /// <summary>Open leases on this replica, for its metrics (read without locking the map: a scrape never stalls a reservation).</summary>
    public int LiveCount => _live.Count;

    /// <summary>Micro-USD billing reserved for this replica's open leases, for its metrics.</summary>
    public long LiveGrantedMicros => _live.Sum(p => p.Value.GrantedMicros);

    /// <summary>Micro-USD of the open leases reserved by requests in flight, for its metrics.</summary>
    public long LiveReservedMicros => _live.Sum(p => p.Value.ReservedMicros);

    /// <summary>
    /// Holds <paramref name="request"/>'s amount in memory against the key's lease, or null (hold at billing instead).
    /// Throws <see cref="BillingUnavailableException"/> when billing could not be asked for a lease.
    /// </summary>
    public async ValueTask<CreditLease?> TryReserveAsync(HoldRequest request)
    {
        if (!_options.Enabled) return null;
        var minimum = checked(request.AmountMicros * _options.MinimumRequests);
        if (minimum > _options.TargetMicros) return null;

        var slot = _slots.GetOrAdd(request.KeyId, static _ => new KeySlot());
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var now = clock.GetUtcNow();
            var current = slot.Current;
            if (current is not null)
            {
                if (current.Matches(request.WalletId, request.BudgetMicros, request.BudgetPeriod) && current.TryReserve(request.AmountMicros, now))
                    return current;
                // Short, stale or taken under another policy: no new holds; the sweep closes it once its requests finish.
                current.Retire();
                Interlocked.CompareExchange(ref slot.Current, null, current);
            }
            if (now.UtcTicks < Interlocked.Read(ref slot.RefusedUntilTicks)) return null;

            var opened = await slot.OpenAsync(() => OpenAsync(request, minimum));
            if (opened is null) return null;
        }
        return null; // the fresh leases ran short under concurrent load: hold this one at billing
    }

    /// <summary>
    /// True when this replica holds an open lease for the key, taken under the same wallet and budget, with something left:
    /// the key can spend, known without asking billing.
    /// </summary>
    public bool HasRoom(Guid keyId, Guid walletId, long? budgetMicros, string budgetPeriod) =>
        _slots.TryGetValue(keyId, out var slot) && slot.Current is { } lease
        && lease.Matches(walletId, budgetMicros, budgetPeriod) && lease.HasRoom(clock.GetUtcNow());

    /// <summary>A request held against <paramref name="lease"/> finished with <paramref name="costMicros"/> (≤ its hold).</summary>
    public void Complete(CreditLease lease, long heldMicros, long costMicros) => lease.Complete(heldMicros, costMicros);

    /// <summary>Stops new holds against the key's lease (its policy or wallet changed); the sweep closes it.</summary>
    public void Retire(Guid keyId)
    {
        if (_slots.TryGetValue(keyId, out var slot) && Interlocked.Exchange(ref slot.Current, null) is { } lease) lease.Retire();
    }

    private async Task<CreditLease?> OpenAsync(HoldRequest request, long minimum)
    {
        var slot = _slots.GetOrAdd(request.KeyId, static _ => new KeySlot());
        var leaseId = "lease_" + Guid.CreateVersion7().ToString("N");
        var leaseRequest = new LeaseRequest
        {
            LeaseId = leaseId,
            WalletId = request.WalletId,
            KeyId = request.KeyId,
            TargetMicros = _options.TargetMicros,
            MinimumMicros = minimum,
            ShareDivisor = _options.ShareDivisor,
            BudgetMicros = request.BudgetMicros,
            BudgetPeriod = request.BudgetPeriod,
            ReserveSeconds = _options.ReserveSeconds,
        };
        LeaseResponse? response;
        try
        {
            response = await PostAsync("/internal/leases", leaseRequest, LeaseClientJson.Default.LeaseRequest, LeaseClientJson.Default.LeaseResponse);
        }
        catch (BillingUnavailableException)
        {
            // The outcome is unknown: billing may have granted it. Close it at zero (a no-op if it does not exist).
            var orphan = new CreditLease(leaseId, request.KeyId, request.WalletId, 0, null, request.BudgetMicros, request.BudgetPeriod, DateTimeOffset.MinValue);
            orphan.Retire();
            _live[leaseId] = orphan;
            throw;
        }
        if (response is null || !response.Granted)
        {
            // Unknown wallet, small balance or budget: per-request holds give the exact answer for a while.
            Interlocked.Exchange(ref slot.RefusedUntilTicks, clock.GetUtcNow().AddMilliseconds(_options.RefusedRetryMilliseconds).UtcTicks);
            return null;
        }
        var lease = new CreditLease(leaseId, request.KeyId, request.WalletId, response.GrantedMicros, response.BudgetPeriodKey,
            request.BudgetMicros, request.BudgetPeriod, response.ReserveUntil, response.HoldTimeoutSeconds);
        _live[leaseId] = lease;
        if (Interlocked.CompareExchange(ref slot.Current, lease, null) is not null) lease.Retire(); // cannot happen: opens are single-flight
        LogOpened(logger, leaseId, request.KeyId, response.GrantedMicros);
        return lease;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.SweepMilliseconds), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await SweepAsync(retireAll: false, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // The web server has drained its requests by now (it stops first); give stragglers a moment, then close everything.
        foreach (var slot in _slots.Values) Interlocked.Exchange(ref slot.Current, null)?.Retire();
        for (var i = 0; i < 50 && !_live.IsEmpty && !cancellationToken.IsCancellationRequested; i++)
        {
            await SweepAsync(retireAll: true, cancellationToken);
            if (!_live.IsEmpty) await Task.Delay(100, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (!_live.IsEmpty) LogLeftOpen(logger, _live.Count);
    }

    /// <summary>Retires idle or expired leases and closes every retired lease whose requests have all finished.</summary>
    internal async Task SweepAsync(bool retireAll, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var idle = TimeSpan.FromMilliseconds(_options.IdleReturnMilliseconds);
        foreach (var lease in _live.Values)
        {
            if (retireAll) lease.Retire();
            else lease.RetireIfStale(now, idle);
            if (!lease.TryGetFinalSpend(out var spent)) continue;
            if (_slots.TryGetValue(lease.KeyId, out var slot)) Interlocked.CompareExchange(ref slot.Current, null, lease);
            try
            {
                var closed = await PostAsync($"/internal/leases/{Uri.EscapeDataString(lease.Id)}/close", new LeaseCloseRequest { SpentMicros = spent },
                    LeaseClientJson.Default.LeaseCloseRequest, LeaseClientJson.Default.LeaseCloseResponse);
                lease.Closed = true;
                _live.TryRemove(lease.Id, out _);
                LogClosed(logger, lease.Id, spent, closed?.ReleasedMicros ?? 0);
            }
            catch (BillingUnavailableException ex)
            {
                LogCloseFailed(logger, lease.Id, ex.Message); // next sweep tries again; billing's expiry is the backstop
            }
            if (cancellationToken.IsCancellationRequested) return;
        }
        // Forget keys with nothing open (their next request starts a new slot).
        foreach (var (keyId, slot) in _slots)
        {
            if (slot.Current is null && !slot.Opening && now.UtcTicks - Interlocked.Read(ref slot.RefusedUntilTicks) > idle.Ticks)
                _slots.TryRemove(new KeyValuePair<Guid, KeySlot>(keyId, slot));
        }
    }

    /// <summary>POST with the hold client's per-attempt timeout and retries; 404 on close means billing never had the lease.</summary>
    private Task<TResponse?> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType)
        where TResponse : class =>
        BillingCall.PostAsync(httpClientFactory.CreateClient(HttpHoldService.HttpClientName), holdOptions.Value, path, body, requestType,
            async (response, token) =>
            {
                if (response.StatusCode == HttpStatusCode.NotFound) return null;
                if (response.IsSuccessStatusCode) return await response.Content.ReadFromJsonAsync(responseType, token);
                throw new BillingUnavailableException($"Billing rejected {path} with {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token)}");
            },
            path, attemptFailed: null, CancellationToken.None);

    /// <summary>Per key: the open lease and a single-flight opener, so a burst of requests takes one lease, not one each.</summary>
    private sealed class KeySlot
    {
        public CreditLease? Current;
        public long RefusedUntilTicks;
        private readonly Lock _gate = new();
        private Task<CreditLease?>? _opening;

        public bool Opening
        {
            get { lock (_gate) return _opening is not null; }
        }

        public async Task<CreditLease?> OpenAsync(Func<Task<CreditLease?>> open)
        {
            Task<CreditLease?> task;
            lock (_gate)
            {
                task = _opening ??= RunAsync(open);
            }
            return await task;
        }

        private async Task<CreditLease?> RunAsync(Func<Task<CreditLease?>> open)
        {
            try
            {
                return await open();
            }
            finally
            {
                lock (_gate) _opening = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lease {LeaseId} opened for key {KeyId}: {GrantedMicros} micro-USD")]
    private static partial void LogOpened(ILogger logger, string leaseId, Guid keyId, long grantedMicros);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lease {LeaseId} closed: spent {SpentMicros}, released {ReleasedMicros} micro-USD")]
    private static partial void LogClosed(ILogger logger, string leaseId, long spentMicros, long releasedMicros);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing lease {LeaseId} failed: {Error}; retrying")]
    private static partial void LogCloseFailed(ILogger logger, string leaseId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} leases could not be closed before shutdown; billing releases them when they expire")]
    private static partial void LogLeftOpen(ILogger logger, int count);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LeaseRequest))]
[JsonSerializable(typeof(LeaseResponse))]
[JsonSerializable(typeof(LeaseCloseRequest))]
[JsonSerializable(typeof(LeaseCloseResponse))]
internal sealed partial class LeaseClientJson : JsonSerializerContext;
