using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Redemption codes through the whole cluster: minted, listed and voided through the edge's admin API (billing owns them),
/// redeemed by key holders on <c>POST /api/v1/credits/redeem</c>, and every refusal changing nothing.
/// </summary>
[Collection(FundingCollection.Name)]
public sealed class RedemptionCodeTests(FundingClusterFixture cluster)
{
    [Fact]
    public async Task A_minted_code_credits_the_keys_wallet_once_with_a_ledger_entry_naming_its_batch()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var (batchId, codes) = await MintAsync(amountUsd: 12.5m, count: 3, note: "launch promo");
        Assert.Equal(3, codes.Count);
        Assert.Equal(3, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^NXR-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$", c));

        // Typed loosely: lower case, without dashes.
        using var redeemed = await RedeemAsync(cluster.Edge, tenant.Key, codes[0].ToLowerInvariant().Replace("-", " "));
        var body = await OkAsync(redeemed);
        Assert.Equal(12.5m, body["data"]!["amount_usd"]!.GetValue<decimal>());
        Assert.Equal(batchId, body["data"]!["batch_id"]!.GetValue<string>());
        Assert.Equal(12.5m, body["data"]!["balance_usd"]!.GetValue<decimal>());

        var credits = await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(12.5m, credits["balance_usd"]!.GetValue<decimal>());
        var entry = Assert.Single(await LedgerAsync(tenant.WalletId));
        Assert.Equal("credit", entry["kind"]!.GetValue<string>());
        Assert.Equal(12.5m, entry["amount_usd"]!.GetValue<decimal>());
        Assert.Contains(batchId, entry["note"]!.GetValue<string>());
        Assert.StartsWith($"redemption:{batchId}:", entry["reference"]!.GetValue<string>());
        Assert.Equal(body["data"]!["ledger_entry_id"]!.GetValue<long>(), entry["id"]!.GetValue<long>());

        // The same code again, from this key or another: used, nothing more credited.
        var other = await Tenant.CreateAsync(cluster, creditUsd: 0);
        foreach (var key in new[] { tenant.Key, other.Key })
        {
            using var again = await RedeemAsync(cluster.Edge, key, codes[0]);
            await AssertRefusedAsync(again, HttpStatusCode.Conflict, "code_already_redeemed");
        }
        Assert.Single(await LedgerAsync(tenant.WalletId));
        Assert.Empty(await LedgerAsync(other.WalletId));

        var batch = await BatchAsync(batchId);
        Assert.Equal(1, batch["redeemed"]!.GetValue<int>());
        Assert.Equal(2, batch["unredeemed"]!.GetValue<int>());
        Assert.Equal("launch promo", batch["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Listing_shows_batches_with_their_counts_and_never_the_codes()
    {
        var (batchId, codes) = await MintAsync(amountUsd: 1m, count: 2);
        using var admin = cluster.AdminClient();
        using var response = await admin.GetAsync("/admin/v1/redemption-codes?limit=500");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var listed = JsonNode.Parse(text)!["data"]!.AsArray().Single(b => b!["id"]!.GetValue<string>() == batchId)!;
        Assert.Equal(2, listed["count"]!.GetValue<int>());
        Assert.Equal(2, listed["unredeemed"]!.GetValue<int>());
        Assert.Equal(0, listed["redeemed"]!.GetValue<int>());
        Assert.All(codes, c => Assert.DoesNotContain(c[4..], text, StringComparison.OrdinalIgnoreCase));
        using var one = await admin.GetAsync($"/admin/v1/redemption-codes/{batchId}");
        Assert.All(codes, c => Assert.DoesNotContain(c[4..], one.Content.ReadAsStringAsync().Result, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Voided_expired_and_unknown_codes_are_refused_in_OpenAIs_envelope_and_change_nothing()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var (voidedBatch, voidedCodes) = await MintAsync(amountUsd: 5m, count: 2);
        var (_, singles) = await MintAsync(amountUsd: 5m, count: 2);
        var (_, expiring) = await MintAsync(amountUsd: 5m, count: 1, expiresAt: DateTimeOffset.UtcNow.AddSeconds(2));

        using var admin = cluster.AdminClient();
        using (var voided = await admin.PostAsync($"/admin/v1/redemption-codes/{voidedBatch}/void", null))
        {
            var batch = await OkAsync(voided);
            Assert.Equal(2, batch["voided"]!.GetValue<int>());
            Assert.Equal(0, batch["unredeemed"]!.GetValue<int>());
        }
        using (var voidOne = await admin.PostAsJsonAsync("/admin/v1/redemption-codes/void", new { code = singles[0] }))
            Assert.Equal("voided", (await OkAsync(voidOne))["state"]!.GetValue<string>());
        using (var unknownVoid = await admin.PostAsJsonAsync("/admin/v1/redemption-codes/void", new { code = "NXR-00000-00000-00000-00000" }))
            Assert.Equal(HttpStatusCode.NotFound, unknownVoid.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        foreach (var (code, status, reason) in new[]
        {
            (voidedCodes[0], HttpStatusCode.Conflict, "code_voided"),
            (singles[0], HttpStatusCode.Conflict, "code_voided"),
            (expiring[0], HttpStatusCode.Conflict, "code_expired"),
            ("NXR-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ", HttpStatusCode.NotFound, "code_not_found"),
            ("not a code at all", HttpStatusCode.NotFound, "code_not_found"),
        })
        {
            using var response = await RedeemAsync(cluster.Edge, tenant.Key, code);
            await AssertRefusedAsync(response, status, reason);
        }
        using (var empty = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/credits/redeem", "{}"))
            await AssertRefusedAsync(empty, HttpStatusCode.BadRequest, "invalid_request");
        using (var noKey = await cluster.Edge.PostAsJsonAsync("/api/v1/credits/redeem", new { code = singles[1] }))
            Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);

        // Nothing changed: the seed credit is the wallet's only entry, and the other single code still works.
        Assert.Single(await LedgerAsync(tenant.WalletId));
        using var good = await RedeemAsync(cluster.Edge, tenant.Key, singles[1]);
        Assert.Equal(6m, (await OkAsync(good))["data"]!["balance_usd"]!.GetValue<decimal>());
        using (var voidRedeemed = await admin.PostAsJsonAsync("/admin/v1/redemption-codes/void", new { code = singles[1] }))
            Assert.Equal(HttpStatusCode.Conflict, voidRedeemed.StatusCode);
    }

    [Fact]
    public async Task A_hundred_concurrent_redemptions_of_one_code_credit_it_exactly_once()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var (batchId, codes) = await MintAsync(amountUsd: 7m, count: 1);
        using var edge = cluster.EdgeFrom(FundingClusterFixture.FreshAddress());
        using var start = new SemaphoreSlim(0);
        var attempts = Enumerable.Range(0, 100).Select(async _ =>
        {
            await start.WaitAsync();
            using var response = await RedeemAsync(edge, tenant.Key, codes[0]);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }).ToList();
        start.Release(100);
        var results = await Task.WhenAll(attempts);

        // The others are refused as used. On a starved machine the edge's call to billing may time out (503
        // billing_unavailable, the attempt refunded): even the winner's, after billing committed. What must hold whatever
        // the answers is the money: one credit.
        Assert.True(results.Count(r => r.StatusCode == HttpStatusCode.OK) <= 1);
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r =>
        {
            Assert.True(r.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable, $"{(int)r.StatusCode}: {r.Item2}");
            Assert.Contains(r.StatusCode == HttpStatusCode.Conflict ? "code_already_redeemed" : "billing_unavailable", r.Item2);
        });
        Assert.True(results.Count(r => r.StatusCode == HttpStatusCode.Conflict) >= 50,
            $"most attempts should reach billing and be refused there: {string.Join(", ", results.GroupBy(r => r.StatusCode).Select(g => $"{g.Key}×{g.Count()}"))}");
        var credits = await EdgeCalls.CreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(7m, credits["balance_usd"]!.GetValue<decimal>());
        var entry = Assert.Single(await LedgerAsync(tenant.WalletId));
        Assert.Equal(7m, entry["amount_usd"]!.GetValue<decimal>());
        Assert.Equal(1, (await BatchAsync(batchId))["redeemed"]!.GetValue<int>());
    }

    [Fact]
    public async Task Failed_redemptions_are_limited_per_key_and_per_address_before_billing_is_asked()
    {
        using var edge = cluster.EdgeFrom(FundingClusterFixture.FreshAddress());
        var guesser = await Tenant.CreateAsync(cluster, creditUsd: 0);
        var (_, codes) = await MintAsync(amountUsd: 3m, count: 2);
        for (var i = 0; i < FundingClusterFixture.FailuresPerKey; i++)
        {
            using var miss = await RedeemAsync(edge, guesser.Key, Guess());
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }
        // The key is cut off, even with a good code: nothing is asked of billing, nothing credited.
        using (var limited = await RedeemAsync(edge, guesser.Key, codes[0]))
        {
            await AssertRefusedAsync(limited, HttpStatusCode.TooManyRequests, "too_many_failed_redemptions");
            Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(5), $"{limited.Headers.RetryAfter}");
        }
        Assert.Empty(await LedgerAsync(guesser.WalletId));

        // Another key from the same address still may, until the address has used up its own limit.
        var second = await Tenant.CreateAsync(cluster, creditUsd: 0);
        for (var i = FundingClusterFixture.FailuresPerKey; i < FundingClusterFixture.FailuresPerAddress; i++)
        {
            using var miss = await RedeemAsync(edge, second.Key, Guess());
            Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        }
        var third = await Tenant.CreateAsync(cluster, creditUsd: 0);
        using (var addressLimited = await RedeemAsync(edge, third.Key, codes[0]))
            await AssertRefusedAsync(addressLimited, HttpStatusCode.TooManyRequests, "too_many_failed_redemptions");

        // The same key from elsewhere: its own count is low, so it is served.
        using var elsewhere = await RedeemAsync(cluster.Edge, third.Key, codes[0]);
        Assert.Equal(3m, (await OkAsync(elsewhere))["data"]!["amount_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Minting_refuses_bad_amounts_counts_and_expiries_and_requires_the_admin_token()
    {
        using var admin = cluster.AdminClient();
        foreach (var (body, field) in new (object, string)[]
        {
            (new { amount_usd = 0m, count = 1, expires_at = DateTimeOffset.UtcNow.AddDays(1) }, "amount_usd"),
            (new { amount_usd = 1.0000001m, count = 1, expires_at = DateTimeOffset.UtcNow.AddDays(1) }, "amount_usd"),
            (new { amount_usd = 1m, count = 0, expires_at = DateTimeOffset.UtcNow.AddDays(1) }, "count"),
            (new { amount_usd = 1m, count = 1001, expires_at = DateTimeOffset.UtcNow.AddDays(1) }, "count"),
            (new { amount_usd = 1m, count = 1, expires_at = DateTimeOffset.UtcNow.AddMinutes(-1) }, "expires_at"),
        })
        {
            using var response = await admin.PostAsJsonAsync("/admin/v1/redemption-codes", body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
            Assert.Contains(field, JsonNode.Parse(text)!["errors"]!.AsObject().Select(e => e.Key));
        }
        using var anonymous = await cluster.Edge.PostAsJsonAsync("/admin/v1/redemption-codes",
            new { amount_usd = 1m, count = 1, expires_at = DateTimeOffset.UtcNow.AddDays(1) });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private static string Guess() => "NXR-" + string.Join('-', Enumerable.Range(0, 4).Select(_ => Guid.NewGuid().ToString("N")[..5].ToUpperInvariant()
        .Replace('I', '1').Replace('L', '1').Replace('O', '0').Replace('U', 'V')));

    private async Task<(string BatchId, List<string> Codes)> MintAsync(decimal amountUsd, int count, string? note = null, DateTimeOffset? expiresAt = null)
    {
        using var admin = cluster.AdminClient();
        using var response = await admin.PostAsJsonAsync("/admin/v1/redemption-codes",
            new { amount_usd = amountUsd, count, expires_at = expiresAt ?? DateTimeOffset.UtcNow.AddDays(30), note });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!;
        return (body["batch"]!["id"]!.GetValue<string>(), [.. body["codes"]!.AsArray().Select(c => c!.GetValue<string>())]);
    }

    private async Task<JsonNode> BatchAsync(string batchId)
    {
        using var admin = cluster.AdminClient();
        return (await admin.GetFromJsonAsync<JsonNode>($"/admin/v1/redemption-codes/{batchId}"))!;
    }

    private async Task<List<JsonNode>> LedgerAsync(Guid walletId)
    {
        using var admin = cluster.AdminClient();
        var page = await admin.GetFromJsonAsync<JsonNode>($"/admin/v1/wallets/{walletId}/ledger?limit=500");
        return [.. page!["data"]!.AsArray().Select(e => e!)];
    }

    internal static async Task<HttpResponseMessage> RedeemAsync(HttpClient edge, string key, string code)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/credits/redeem") { Content = JsonContent.Create(new { code }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await edge.SendAsync(request);
    }

    internal static async Task<JsonNode> OkAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    internal static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
        Assert.NotNull(error["type"]);
    }
}
