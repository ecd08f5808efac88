using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Client;
using NexRelay.Contracts.Billing;
using NexRelay.Edge.Charging;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Holds;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Holds;

/// <summary>
/// The edge's one entry to reservations (Holds/Reservations.cs): the lease-or-hold choice, the end of a reservation, and
/// the explicit compensation of a hold whose outcome is unknown. Leases are off here (billing's tests cover them for real).
/// </summary>
public sealed class ReservationsTests
{
    private const long Amount = 250_000;

    [Fact]
    public async Task A_granted_hold_is_kept_alive_until_its_settlement_is_confirmed()
    {
        var (reservations, keeper) = Build(new ScriptedHolds(_ => new HoldResponse { Granted = true, BudgetPeriodKey = "2026-12", HoldTimeoutSeconds = 900 }));

        var result = await reservations.ReserveAsync(Request("req_1"));

        Assert.Null(result.Refusal);
        Assert.False(result.BillingUnavailable);
        Assert.Equal(new Reservation(ReservationKind.Hold, "req_1", Amount, "2026-12", null), result.Reservation);
        Assert.True(result.Reservation.Placed);
        Assert.Equal(1, keeper.TrackedHolds);

        Assert.Equal(40_000, reservations.Complete(result.Reservation, 40_000, settlementPublished: true));
        Assert.Equal(1, keeper.TrackedHolds); // until RabbitMQ confirms the event
    }

    [Fact]
    public async Task A_hold_whose_request_publishes_no_settlement_is_let_go()
    {
        var (reservations, keeper) = Build(new ScriptedHolds(_ => new HoldResponse { Granted = true, HoldTimeoutSeconds = 900 }));
        var result = await reservations.ReserveAsync(Request("req_2"));

        reservations.Complete(result.Reservation, 0, settlementPublished: false);

        Assert.Equal(0, keeper.TrackedHolds);
    }

    [Fact]
    public async Task A_refused_hold_reserves_nothing_and_says_why()
    {
        var refusal = new HoldResponse { Granted = false, Shortfall = "budget", NeededMicros = Amount, AvailableMicros = 10 };
        var (reservations, keeper) = Build(new ScriptedHolds(_ => refusal));

        var result = await reservations.ReserveAsync(Request("req_3"));

        Assert.Same(refusal, result.Refusal);
        Assert.False(result.Reservation.Placed);
        Assert.Equal(0, result.Reservation.HeldMicros);
        Assert.Equal(0, keeper.TrackedHolds);
    }

    [Fact]
    public async Task A_hold_of_unknown_outcome_is_compensated_by_a_settlement_at_zero_for_its_whole_amount()
    {
        var (reservations, keeper) = Build(new ScriptedHolds(_ => throw new BillingUnavailableException("billing is down")));

        var result = await reservations.ReserveAsync(Request("req_4"));

        Assert.True(result.BillingUnavailable);
        Assert.False(result.Reservation.Placed);
        Assert.Equal(ReservationKind.UnknownOutcome, result.Reservation.Kind);
        // The settlement names the whole amount (so billing releases it if it committed it) and costs nothing.
        Assert.Equal(Amount, result.Reservation.HeldMicros);
        Assert.Equal(0, reservations.Complete(result.Reservation, 123, settlementPublished: true));
        Assert.Equal(0, keeper.TrackedHolds);
    }

    [Fact]
    public void The_price_of_usage_is_its_tokens_at_the_models_prices_clamped_to_the_hold_and_flagged()
    {
        var prices = new ModelPrices(1_000_000, 100_000, 2_000_000); // $1 / $0.10 / $2 per million tokens
        var usage = new Usage { InputTokens = 1_000, CachedInputTokens = 200, OutputTokens = 100 };

        Assert.Equal(1_020, UsagePrice.Of(usage, prices, heldMicros: 10_000, out var clamped));
        Assert.False(clamped);
        Assert.Equal(500, UsagePrice.Of(usage, prices, heldMicros: 500, out clamped));
        Assert.True(clamped);
        Assert.Equal(0, UsagePrice.Of(new Usage(), prices, heldMicros: 0, out clamped));
        Assert.False(clamped);
    }

    private static HoldRequest Request(string requestId) => new()
    {
        RequestId = requestId,
        WalletId = Guid.NewGuid(),
        KeyId = Guid.NewGuid(),
        AmountMicros = Amount,
        BudgetPeriod = "total",
    };

    private static (Reservations Reservations, ReservationKeeper Keeper) Build(IHoldService holds)
    {
        var holdOptions = Options.Create(new HoldClientOptions());
        var leases = new CreditLeases(new NoHttp(), Options.Create(new LeaseOptions { Enabled = false }), holdOptions, TimeProvider.System,
            NullLogger<CreditLeases>.Instance);
        var keeper = new ReservationKeeper(new NoHttp(), holdOptions, leases, TimeProvider.System, NullLogger<ReservationKeeper>.Instance);
        return (new Reservations(holds, leases, keeper, NullLogger<Reservations>.Instance), keeper);
    }

    private sealed class ScriptedHolds(Func<HoldRequest, HoldResponse> answer) : IHoldService
    {
        public Task<HoldResponse> HoldAsync(HoldRequest request, CancellationToken cancellationToken) => Task.FromResult(answer(request));
    }

    /// <summary>Nothing here may call billing.</summary>
    private sealed class NoHttp : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("No billing call expected.");
    }
}
