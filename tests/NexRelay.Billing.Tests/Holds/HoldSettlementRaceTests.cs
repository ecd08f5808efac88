using Npgsql;

namespace NexRelay.Billing.Tests.Holds;

/// <summary>
/// A hold billing was too slow to answer: the edge gave up and settled the request at zero. Whichever of the two transactions
/// commits first, the hold never outlives the settlement (hold_lock_key.sql), so nothing stays reserved until the sweep.
/// </summary>
public sealed class HoldSettlementRaceTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task A_settlement_at_zero_waits_for_a_hold_still_being_placed_and_releases_it()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var requestId = "req_race_" + Guid.NewGuid().ToString("N");

        // place_hold has inserted its row and not committed (billing answering slowly).
        await using var placing = fixture.OpenDb();
        await using var tx = await placing.BeginTransactionAsync();
        await using (var place = new NpgsqlCommand("SELECT o_granted FROM place_hold($1, $2, $3, $4, 'total', NULL)", placing, tx))
        {
            place.Parameters.Add(new NpgsqlParameter { Value = requestId });
            place.Parameters.Add(new NpgsqlParameter { Value = wallet });
            place.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
            place.Parameters.Add(new NpgsqlParameter { Value = 400_000L });
            Assert.True((bool)(await place.ExecuteScalarAsync())!);
        }

        // The edge's compensation arrives meanwhile: it waits for the hold instead of missing it.
        var settling = SettleAtZeroAsync(requestId);
        await Task.Delay(500);
        Assert.False(settling.IsCompleted, "the settlement did not wait for the hold being placed");
        await tx.CommitAsync();

        Assert.Equal("settled", await settling.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("released", await fixture.ScalarAsync<string>("SELECT state FROM holds WHERE request_id = $1", requestId));
        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task A_hold_placed_after_its_settlement_is_refused_and_writes_nothing()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var requestId = "req_late_" + Guid.NewGuid().ToString("N");
        Assert.Equal("unknown", await SettleAtZeroAsync(requestId));

        var (status, body) = await fixture.HoldAsync(BillingFixture.Hold(wallet, 400_000, requestId: requestId));
        Assert.False(body.Granted, $"{status}: a hold after its request was settled");
        Assert.Equal("settled", body.Shortfall);
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM holds WHERE request_id = $1", requestId));
        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    /// <summary>The batch settlement billing's consumer runs, for one per-request hold at zero cost.</summary>
    private async Task<string> SettleAtZeroAsync(string requestId)
    {
        await using var connection = fixture.OpenDb();
        await using var command = new NpgsqlCommand("SELECT o_outcome FROM settle_requests($1, $2, $3)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = new[] { requestId } });
        command.Parameters.Add(new NpgsqlParameter { Value = new string?[] { null }, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = new[] { 0L } });
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
