using NexRelay.Billing.Settlement;
using NexRelay.Contracts.Messages;

namespace NexRelay.Billing.Tests.Settlement;

public sealed class SettlementBatchOrderTests
{
    private static RequestCompleted Message(string requestId, Guid? wallet, Guid? key, long held = 10, string? leaseId = null) => new()
    {
        RequestId = requestId,
        CreatedAt = DateTimeOffset.UnixEpoch,
        WalletId = wallet,
        KeyId = key,
        ClientFormat = "openai-chat",
        Route = "/v1/chat/completions",
        Status = 200,
        HeldMicros = held,
        LeaseId = leaseId,
    };

    [Fact]
    public void Batch_is_ordered_by_wallet_then_key_then_request_id()
    {
        var w1 = Guid.Parse("00000000-0000-0000-0000-000000000001");
        var w2 = Guid.Parse("00000000-0000-0000-0000-000000000002");
        var k1 = Guid.Parse("10000000-0000-0000-0000-000000000000");
        var k2 = Guid.Parse("20000000-0000-0000-0000-000000000000");
        var messages = new List<RequestCompleted>
        {
            Message("b", w2, k1), Message("a", w2, k1), Message("z", w1, k2), Message("c", w1, k1), Message("y", null, null),
        };

        messages.Sort(SettleRequestConsumer.SettlementOrder);

        Assert.Equal(["y", "c", "z", "a", "b"], messages.Select(m => m.RequestId));
    }

    [Theory]
    [InlineData("r1", 10, null, true)]    // a per-request hold
    [InlineData("r1", 0, null, false)]    // never held (refused, bad key...): nothing to settle
    [InlineData("r1", 0, "lease-1", true)] // held in memory against a lease: the lease is charged
    [InlineData("r1", 10, "", true)]
    [InlineData("", 10, null, false)]
    public void Which_messages_need_settling(string requestId, long held, string? leaseId, bool expected) =>
        Assert.Equal(expected, SettleRequestConsumer.NeedsSettlement(Message(requestId, Guid.NewGuid(), Guid.NewGuid(), held, leaseId)));
}
