using MassTransit;
using NexRelay.Contracts.Messages;

namespace NexRelay.Billing.Tests.Settlement;

/// <summary><see cref="RequestsCompleted"/> envelopes (the edge's own batches) through the real RabbitMQ, alone and mixed with single messages.</summary>
public sealed class EnvelopeSettlementTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task An_envelope_of_leased_and_held_requests_with_duplicates_settles_each_request_once_in_one_transaction()
    {
        var arranged = await fixture.MixedSettlementsAsync(leasedCount: 12, holdCount: 8);
        var (wallet, leased, held) = (arranged.Wallet, arranged.Leased, arranged.Held);
        // A refused request (no hold, no lease) rides along and is left alone.
        var refused = BillingFixture.Completed(BillingFixture.Hold(wallet, 0), 0) with { Status = 402 };
        var all = arranged.All;
        // One leased and one held request twice in the same envelope, the copies interleaved.
        var envelope = all.Append(refused).Append(held[3]).Append(leased[5]).Reverse().ToArray();

        await fixture.SendSettlementsAsync(envelope);
        foreach (var m in all) await fixture.WaitForConsumedAsync(m.RequestId, m == held[3] || m == leased[5] ? 2 : 1);

        await arranged.AssertEachCapturedOnceAsync(fixture);
        var ids = arranged.RequestIds;
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE request_id = $1", refused.RequestId));
        // The whole envelope is one settle_requests call: every row a transaction writes carries its one now().
        Assert.Equal(1L, await fixture.ScalarAsync<long>(
            "SELECT count(DISTINCT processed_at) FROM processed_messages WHERE message_id = ANY($1)", (object)ids.Select(id => "settle:" + id).ToArray()));
    }

    [Fact]
    public async Task An_envelope_redelivered_settles_nothing_twice()
    {
        var wallet = await fixture.CreateWalletAsync(1_000_000);
        var holds = Enumerable.Range(0, 5).Select(_ => BillingFixture.Hold(wallet, 100_000)).ToList();
        foreach (var hold in holds) Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        var envelope = holds.Select((h, i) => BillingFixture.Completed(h, 20_000 + i)).ToArray();

        for (var delivery = 1; delivery <= 3; delivery++)
        {
            await fixture.SendSettlementsAsync(envelope);
            foreach (var m in envelope) await fixture.WaitForConsumedAsync(m.RequestId, delivery);
        }

        Assert.Equal((1_000_000L - envelope.Sum(m => m.CostMicros), 0L), await fixture.WalletAsync(wallet));
        Assert.Equal((long)envelope.Length, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM ledger_entries WHERE kind = 'capture' AND request_id = ANY($1)", (object)envelope.Select(m => m.RequestId).ToArray()));
    }

    [Fact]
    public async Task An_envelope_and_the_same_requests_as_single_messages_settle_each_request_once()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(10_000_000, target: 1_000_000);
        var holds = Enumerable.Range(0, 20).Select(_ => BillingFixture.Hold(wallet, 50_000)).ToList();
        foreach (var hold in holds) Assert.Equal(200, (await fixture.HoldAsync(hold)).Status);
        var messages = holds.Select((h, i) => BillingFixture.Completed(h, 1_000 + i))
            .Concat(Enumerable.Range(0, 20).Select(i => BillingFixture.LeasedCompleted(lease, 2_000 + i)))
            .ToArray();

        // The same events as single messages (an older edge, or the edge's fallback) and as two envelopes, all at once.
        await Task.WhenAll(messages.Select(fixture.SendSettlementAsync)
            .Append(fixture.SendSettlementsAsync(messages[..25]))
            .Append(fixture.SendSettlementsAsync(messages[15..])));
        for (var i = 0; i < messages.Length; i++) await fixture.WaitForConsumedAsync(messages[i].RequestId, i is >= 15 and < 25 ? 3 : 2);

        var cost = messages.Sum(m => m.CostMicros);
        var leasedCost = messages.Where(m => m.LeaseId is not null).Sum(m => m.CostMicros);
        Assert.Equal((10_000_000L - cost, 1_000_000L - leasedCost), await fixture.WalletAsync(wallet));
        Assert.Equal((long)messages.Length, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM ledger_entries WHERE kind = 'capture' AND request_id = ANY($1)", (object)messages.Select(m => m.RequestId).ToArray()));
    }

    [Fact]
    public async Task An_envelope_beyond_its_lease_captures_what_fits_from_the_lease_and_the_rest_late_once_each()
    {
        var (wallet, lease) = await fixture.WalletWithLeaseAsync(10_000_000, target: 300_000);
        var paid = Enumerable.Range(0, 10).Select(i => BillingFixture.LeasedCompleted(lease, 50_000 + i)).ToList();
        var free = BillingFixture.LeasedCompleted(lease, 0);
        var negative = BillingFixture.LeasedCompleted(lease, -7);
        var envelope = paid.Append(free).Append(negative).ToArray();

        await fixture.SendSettlementsAsync(envelope);
        foreach (var m in envelope) await fixture.WaitForConsumedAsync(m.RequestId, 1);

        // Billing settles in request id order: the costs that fit in the lease's 0.3 USD come from it, the one that crosses
        // the line takes the lease's rest plus a late part, and every later one is collected late from the balance.
        var running = 0L;
        var late = paid.OrderBy(m => m.RequestId, StringComparer.Ordinal).Count(m => (running += m.CostMicros) > 300_000);
        Assert.InRange(late, 4, 5);
        var cost = paid.Sum(m => m.CostMicros);
        Assert.Equal((10_000_000L - cost, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal((300_000L, 300_000L, 300_000L, "open"), await fixture.LeaseRowAsync(lease.LeaseId));
        Assert.Equal((cost, 0L), await fixture.BucketAsync(lease.KeyId));
        var ids = envelope.Select(m => m.RequestId).ToArray();
        Assert.Equal((long)paid.Count, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM ledger_entries WHERE kind = 'capture' AND request_id = ANY($1)", (object)ids));
        Assert.Equal((long)late, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM ledger_entries WHERE kind = 'capture' AND 'late' = ANY(flags) AND request_id = ANY($1)", (object)ids));
        Assert.Equal((long)envelope.Length, await fixture.ScalarAsync<long>(
            "SELECT count(*) FROM processed_messages WHERE message_id = ANY($1)", (object)ids.Select(id => "settle:" + id).ToArray()));

        // Delivered again, nothing moves.
        await fixture.SendSettlementsAsync(envelope);
        foreach (var m in envelope) await fixture.WaitForConsumedAsync(m.RequestId, 2);
        Assert.Equal((10_000_000L - cost, 0L), await fixture.WalletAsync(wallet));
        Assert.Equal(300_000L, (await fixture.LeaseRowAsync(lease.LeaseId)).Captured);
    }

    [Fact]
    public async Task A_published_envelope_reaches_the_settlement_queue_through_its_message_type_binding()
    {
        // Nothing to settle (no hold, no lease), so any other billing service bound to the same exchange changes nothing.
        var request = BillingFixture.Completed(BillingFixture.Hold(Guid.NewGuid(), 0), 0) with { HeldMicros = 0, Status = 401 };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await fixture.Factory.Services.GetRequiredService<IBus>().Publish(new RequestsCompleted { Requests = [request] }, timeout.Token);
        await fixture.WaitForConsumedAsync(request.RequestId, 1);
    }
}
