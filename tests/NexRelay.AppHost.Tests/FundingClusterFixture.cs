using System.Net;
using System.Net.Sockets;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// A cluster of its own for funding a wallet (redemption codes, card payments): one edge, limits on failed redemptions high
/// enough that 100 concurrent redemptions of one code from one key all reach billing, and card payments through Stripe with
/// its API replaced by a local stub (<see cref="StripeStub"/>) started before the cluster.
/// </summary>
public class FundingClusterFixture : ClusterFixture
{
    public const int FailuresPerKey = 105;
    public const int FailuresPerAddress = 130;
    public const string StripeSecretKey = "sk_test_nexrelay_fixture_0123456789";
    public const string SuccessUrl = "https://nexrelay.example/paid?session={CHECKOUT_SESSION_ID}";
    public const string CancelUrl = "https://nexrelay.example/cancelled";

    /// <summary>The webhook endpoint's signing secret, as Stripe's dashboard shows it (whsec_…); a fresh one per run.</summary>
    public string WebhookSecret { get; } = "whsec_" + Guid.NewGuid().ToString("N");

    public StripeStub Stripe { get; private set; } = null!;

    protected override bool SecondEdge => false;

    public override async Task InitializeAsync()
    {
        Stripe = new StripeStub();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Stripe is not null) await Stripe.DisposeAsync();
    }

    protected override IEnumerable<string> ExtraSettings() =>
    [
        $"NexRelay:Payments:Stripe:SecretKey={StripeSecretKey}",
        $"NexRelay:Payments:Stripe:WebhookSecret={WebhookSecret}",
        $"NexRelay:Payments:Stripe:ApiBase={Stripe.BaseUrl.ToString().TrimEnd('/')}",
        $"NexRelay:Payments:Stripe:SuccessUrl={SuccessUrl}",
        $"NexRelay:Payments:Stripe:CancelUrl={CancelUrl}",
        "NexRelay:Payments:Stripe:MinAmountUsd=5",
        "NexRelay:Payments:Stripe:MaxAmountUsd=1000",
        $"NexRelay:Credits:Redemption:FailuresPerKey={FailuresPerKey}",
        $"NexRelay:Credits:Redemption:FailuresPerAddress={FailuresPerAddress}",
        "NexRelay:Credits:Redemption:Window=00:10:00",
    ];

    /// <summary>
    /// A loopback address of its own (127.10.0.0–127.250.255.255) for a test that uses up an address's limits: the counters live
    /// in Redis for the window, across test runs, so each run needs an address no earlier run used.
    /// </summary>
    public static IPAddress FreshAddress() =>
        new([127, (byte)Random.Shared.Next(10, 251), (byte)Random.Shared.Next(0, 256), (byte)Random.Shared.Next(1, 255)]);

    /// <summary>A client whose connections come from <paramref name="address"/> (loopback is all of 127.0.0.0/8 on Linux).</summary>
    public HttpClient EdgeFrom(IPAddress address) => new(Loopback.From(address)) { BaseAddress = EdgeUrl, Timeout = TimeSpan.FromSeconds(60) };
}

[CollectionDefinition(Name)]
public sealed class FundingCollection : ICollectionFixture<FundingClusterFixture>
{
    public const string Name = "funding";
}
