namespace NexRelay.Billing.Client;

/// <summary>
/// One credit lease this replica holds for one key: billing reserved <see cref="GrantedMicros"/>; requests reserve their
/// worst case here in memory and, when they finish, turn it into their final cost. Once retired it takes no new holds and is
/// closed at billing (with <see cref="SpentMicros"/>) as soon as its last request has finished.
/// </summary>
public sealed class CreditLease(string id, Guid keyId, Guid walletId, long grantedMicros, string? budgetPeriodKey, long? budgetMicros,
    string budgetPeriod, DateTimeOffset reserveUntil, int holdTimeoutSeconds = 0)
{
    private long _renewedTicks = DateTimeOffset.UtcNow.UtcTicks;
    private readonly Lock _gate = new();
    private long _reserved;
    private long _spent;
    private int _inFlight;
    private bool _retired;
    private long _lastUsedTicks = DateTimeOffset.UtcNow.UtcTicks;

    public string Id { get; } = id;
    public Guid KeyId { get; } = keyId;
    public Guid WalletId { get; } = walletId;
    public long GrantedMicros { get; } = grantedMicros;
    public string? BudgetPeriodKey { get; } = budgetPeriodKey;
    public long? BudgetMicros { get; } = budgetMicros;
    public string BudgetPeriod { get; } = budgetPeriod;
    public DateTimeOffset ReserveUntil { get; } = reserveUntil;

    /// <summary>How often billing must hear that the lease is still needed (a third of its hold timeout).</summary>
    public TimeSpan RenewInterval { get; } = ReservationKeeper.RenewInterval(holdTimeoutSeconds);

    /// <summary>True once billing has been told (the lease is done on this replica).</summary>
    public bool Closed { get; set; }

    public long SpentMicros
    {
        get { lock (_gate) return _spent; }
    }

    public long ReservedMicros
    {
        get { lock (_gate) return _reserved; }
    }

    public bool Retired
    {
        get { lock (_gate) return _retired; }
    }

    /// <summary>Requests placed against the lease that have not finished.</summary>
    public int InFlight
    {
        get { lock (_gate) return _inFlight; }
    }

    /// <summary>A third of billing's timeout has passed since the lease was opened or last renewed (<see cref="ReservationKeeper"/>).</summary>
    public bool RenewalDue(long nowTicks) => nowTicks - Interlocked.Read(ref _renewedTicks) >= RenewInterval.Ticks;

    public void Renewed(long nowTicks) => Interlocked.Exchange(ref _renewedTicks, nowTicks);

    /// <summary>True when the lease was taken under the same wallet and budget policy the request carries now.</summary>
    public bool Matches(Guid walletId, long? budgetMicros, string budgetPeriod) =>
        WalletId == walletId && BudgetMicros == budgetMicros && string.Equals(BudgetPeriod, budgetPeriod, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reserves <paramref name="amountMicros"/> unless the lease is retired, past its window, or too short.</summary>
    public bool TryReserve(long amountMicros, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_retired || now >= ReserveUntil || GrantedMicros - _spent - _reserved < amountMicros) return false;
            _reserved += amountMicros;
            _inFlight++;
            _lastUsedTicks = now.UtcTicks;
            return true;
        }
    }

    /// <summary>True while the lease takes holds and has something left: billing found room in the wallet and budget for it.</summary>
    public bool HasRoom(DateTimeOffset now)
    {
        lock (_gate) return !_retired && now < ReserveUntil && GrantedMicros - _spent - _reserved > 0;
    }

    /// <summary>
    /// A request placed against the lease finished: its hold becomes its cost. The edge prices within the hold already (its
    /// Charging/UsagePrice); the clamp only keeps this lease's books whole whatever a caller passes.
    /// </summary>
    public void Complete(long heldMicros, long costMicros)
    {
        lock (_gate)
        {
            _reserved -= heldMicros;
            _spent += Math.Clamp(costMicros, 0, heldMicros);
            _inFlight--;
        }
    }

    /// <summary>No new holds from now on.</summary>
    public void Retire()
    {
        lock (_gate) _retired = true;
    }

    /// <summary>Retires the lease when it has not been used for <paramref name="idle"/> or its window has passed.</summary>
    public void RetireIfStale(DateTimeOffset now, TimeSpan idle)
    {
        lock (_gate)
        {
            if (_inFlight == 0 && now.UtcTicks - _lastUsedTicks >= idle.Ticks || now >= ReserveUntil) _retired = true;
        }
    }

    /// <summary>Retired with no request still running: what it spent is final and it can be closed.</summary>
    public bool TryGetFinalSpend(out long spentMicros)
    {
        lock (_gate)
        {
            spentMicros = _spent;
            return _retired && _inFlight == 0;
        }
    }
}
