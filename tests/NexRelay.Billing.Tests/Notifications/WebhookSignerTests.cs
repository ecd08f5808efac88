using NexRelay.Billing.Notifications;

namespace NexRelay.Billing.Tests.Notifications;

public sealed class WebhookSignerTests
{
    private const string Body = """{"id":"x"}""";

    [Fact]
    public void The_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex()
    {
        // Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'nrwhsec_test', b'1700000000.{\"id\":\"x\"}', hashlib.sha256).hexdigest())"
        Assert.Equal("t=1700000000,v1=64fd8d28fa2441fa126ae67a41f2051c0a93b9f366e8f1101f99bb596bf1f28f",
            WebhookSigner.Sign("nrwhsec_test", 1700000000, Body));
    }

    [Fact]
    public void A_receiver_verifies_it_and_refuses_a_changed_body_another_secret_or_an_old_timestamp()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1700000000);
        var header = WebhookSigner.Sign("nrwhsec_test", now.ToUnixTimeSeconds(), Body);
        var tolerance = TimeSpan.FromMinutes(5);
        Assert.True(WebhookSigner.Verify("nrwhsec_test", header, Body, now.AddSeconds(30), tolerance));
        Assert.False(WebhookSigner.Verify("nrwhsec_test", header, """{"id":"y"}""", now, tolerance));
        Assert.False(WebhookSigner.Verify("nrwhsec_other", header, Body, now, tolerance));
        Assert.False(WebhookSigner.Verify("nrwhsec_test", header, Body, now.AddMinutes(6), tolerance));
        Assert.False(WebhookSigner.Verify("nrwhsec_test", "v1=00", Body, now, tolerance));
    }

    [Fact]
    public void Secrets_are_random_and_long()
    {
        var a = WebhookSigner.NewSecret();
        Assert.StartsWith("nrwhsec_", a);
        Assert.Equal(8 + 64, a.Length);
        Assert.NotEqual(a, WebhookSigner.NewSecret());
    }
}
