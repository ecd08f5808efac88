using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NexRelay.Billing.Redemption;

namespace NexRelay.Billing.Tests.Redemption;

/// <summary>
/// <c>redeem_code</c> (Migrations/Functions/redeem_code.sql) through billing's own API on the real PostgreSQL: the code's state
/// and the wallet's credit change together, once, whatever the concurrency; every refusal writes nothing.
/// </summary>
public sealed class RedeemCodeTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Concurrent_redemptions_of_one_code_into_different_wallets_credit_exactly_one_of_them()
    {
        var code = (await MintAsync(2.5m, 1)).Codes[0];
        var wallets = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => fixture.CreateWalletAsync()));
        var attempts = Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            using var client = fixture.NewClient();
            using var response = await client.PostAsJsonAsync("/internal/redemptions",
                new { code, wallet_id = wallets[i % wallets.Length], key_id = Guid.NewGuid() });
            return response.StatusCode;
        }));
        var statuses = await Task.WhenAll(attempts);

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(99, statuses.Count(s => s == HttpStatusCode.Conflict));
        var balances = await Task.WhenAll(wallets.Select(fixture.WalletAsync));
        Assert.Equal(2_500_000L, balances.Sum(b => b.Item1));
        Assert.Single(balances, b => b.Item1 > 0);
    }

    [Fact]
    public async Task Used_voided_expired_and_unknown_codes_are_refused_with_their_reason_and_write_nothing()
    {
        var wallet = await fixture.CreateWalletAsync();
        var minted = await MintAsync(1m, 3);
        Assert.Equal(HttpStatusCode.OK, (await RedeemAsync(minted.Codes[0], wallet)).Status);
        using (var voidOne = await fixture.Admin.PostAsJsonAsync("/admin/v1/redemption-codes/void", new { code = minted.Codes[1] }))
            Assert.Equal(HttpStatusCode.OK, voidOne.StatusCode);
        await fixture.ExecuteAsync($"UPDATE redemption_batches SET expires_at = now() - interval '1 second' WHERE id = '{minted.BatchId}'");

        Assert.Equal((HttpStatusCode.Conflict, "code_already_redeemed"), await RedeemAsync(minted.Codes[0], wallet));
        Assert.Equal((HttpStatusCode.Conflict, "code_voided"), await RedeemAsync(minted.Codes[1], wallet));
        Assert.Equal((HttpStatusCode.Conflict, "code_expired"), await RedeemAsync(minted.Codes[2], wallet));
        Assert.Equal((HttpStatusCode.NotFound, "code_not_found"), await RedeemAsync("NXR-00000-00000-00000-00000", wallet));
        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public void Codes_are_normalized_as_typed_and_hashed_apart_from_api_keys()
    {
        var code = RedemptionCodes.Generate();
        Assert.Matches("^NXR-[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$", code);
        var normalized = RedemptionCodes.Normalize(code);
        Assert.Equal(normalized, RedemptionCodes.Normalize(" " + code.ToLowerInvariant().Replace("-", " ") + " "));
        Assert.Equal(normalized, RedemptionCodes.Normalize(code[4..].Replace("-", "")));
        Assert.Null(RedemptionCodes.Normalize(code + "0"));
        Assert.Null(RedemptionCodes.Normalize("NXR-UUUUU-00000-00000-00000"));
        Assert.NotEqual(Contracts.Keys.KeyHash.Compute(BillingFixture.KeyHashSecret, normalized!),
            RedemptionCodes.Hash(BillingFixture.KeyHashSecret, normalized!));
    }

    private async Task<(HttpStatusCode Status, string? Code)> RedeemAsync(string code, Guid wallet)
    {
        using var response = await fixture.Client.PostAsJsonAsync("/internal/redemptions", new { code, wallet_id = wallet, key_id = Guid.NewGuid() });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.TryGetProperty("code", out var c) ? c.GetString() : null);
    }

    private async Task<(Guid BatchId, List<string> Codes)> MintAsync(decimal amountUsd, int count)
    {
        using var response = await fixture.Admin.PostAsJsonAsync("/admin/v1/redemption-codes",
            new { amount_usd = amountUsd, count, expires_at = DateTimeOffset.UtcNow.AddDays(1) });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("batch").GetProperty("id").GetGuid(), [.. body.GetProperty("codes").EnumerateArray().Select(c => c.GetString()!)]);
    }
}
