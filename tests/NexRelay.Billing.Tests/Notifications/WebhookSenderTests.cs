using System.Net;
using NexRelay.Billing.Notifications;

namespace NexRelay.Billing.Tests.Notifications;

/// <summary>The address is checked again when the connection is made, so DNS that changes after the check cannot reach inside.</summary>
public sealed class WebhookSenderTests
{
    [Fact]
    public async Task A_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connect_time()
    {
        var calls = 0;
        // First answer (the URL check): public. Every later one (the connection): loopback.
        Task<IPAddress[]> Rebinding(string host, CancellationToken _) =>
            Task.FromResult(Interlocked.Increment(ref calls) == 1 ? new[] { IPAddress.Parse("93.184.216.34") } : [IPAddress.Loopback]);
        using var sender = new WebhookSender(new NotificationOptions { AttemptTimeoutSeconds = 5 }, Rebinding, TimeProvider.System);

        var result = await sender.SendAsync("https://rebind.test/hook", "nrwhsec_x", Guid.NewGuid(), "balance.below_threshold", "{}", default);

        Assert.False(result.Delivered);
        Assert.Null(result.StatusCode);
        Assert.Contains("internal address (127.0.0.1)", result.Error);
        Assert.True(calls >= 2);
    }

    [Fact]
    public async Task A_refused_url_is_not_sent_at_all()
    {
        using var sender = new WebhookSender(new NotificationOptions(), (_, _) => Task.FromResult(new[] { IPAddress.Loopback }), TimeProvider.System);
        var result = await sender.SendAsync("https://127.0.0.1:1/hook", "nrwhsec_x", Guid.NewGuid(), "balance.below_threshold", "{}", default);
        Assert.False(result.Delivered);
        Assert.StartsWith("Refused:", result.Error);
    }
}
