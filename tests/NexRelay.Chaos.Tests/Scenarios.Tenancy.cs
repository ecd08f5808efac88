using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace NexRelay.Chaos.Tests;

public sealed partial class Scenarios
{
    [Fact]
    public async Task S16_No_key_reads_or_changes_another_tenants_logs_usage_keys_or_wallet()
    {
        var victim = await cluster.TenantAsync(20m);
        var intruder = await cluster.TenantAsync(20m);
        var load = new Load(cluster, [victim, intruder], new LoadShape());
        var victimRequest = (await load.SendRecordedAsync(cluster.Edges[0], victim, "gpt-5.4")).RequestId!;
        var victimSecond = (await load.SendRecordedAsync(cluster.Edges[1], victim, "claude-sonnet-4-6")).RequestId!;
        await load.SendRecordedAsync(cluster.Edges[0], intruder, "gemini-2.5-flash");
        using var admin = cluster.AdminClient();
        // Both of the victim's requests settled (nothing reserved) and logged: the wallet read below as "before" moves no more.
        await Timing.UntilAsync(async () =>
                (await admin.GetAsync($"/admin/v1/logs/{victimRequest}")).StatusCode == HttpStatusCode.OK
                && (await admin.GetAsync($"/admin/v1/logs/{victimSecond}")).StatusCode == HttpStatusCode.OK
                && (await admin.GetFromJsonAsync<JsonObject>($"/admin/v1/wallets/{victim.WalletId}"))!["reserved_usd"]!.GetValue<decimal>() == 0m,
            TimeSpan.FromSeconds(30), "the victim's requests settled and logged");
        var victimKeyBefore = await KeyFieldsAsync(admin, victim);
        var victimWalletBefore = await admin.GetFromJsonAsync<JsonObject>($"/admin/v1/wallets/{victim.WalletId}");
        var attempts = 0;

        foreach (var edge in cluster.EdgeUrls)
        {
            using var intruding = new HttpClient { BaseAddress = edge };
            intruding.DefaultRequestHeaders.Add("Authorization", "Bearer " + intruder.Key);

            // Another key's log row by id: not found (not "forbidden": that would confirm it exists).
            attempts++;
            using (var row = await intruding.GetAsync($"/api/v1/logs/{victimRequest}"))
                Assert.True(row.StatusCode == HttpStatusCode.NotFound, $"another key's log row: {(int)row.StatusCode}");

            // Filters naming the victim's key or wallet, however spelled, never widen the intruder's own view.
            foreach (var query in new[]
                     {
                         $"key_id={victim.KeyId}", $"KEY_ID={victim.KeyId}", $"wallet_id={victim.WalletId}", $"Wallet_Id={victim.WalletId}",
                         $"key_id={intruder.KeyId}&key_id={victim.KeyId}", $"key_id={victim.KeyId}&wallet_id={victim.WalletId}",
                     })
            {
                attempts += 3;
                using (var logs = await intruding.GetAsync("/api/v1/logs?" + query))
                {
                    var text = await logs.Content.ReadAsStringAsync();
                    Assert.DoesNotContain(victimRequest, text, StringComparison.Ordinal);
                    Assert.DoesNotContain(victim.KeyId.ToString(), text, StringComparison.OrdinalIgnoreCase);
                }
                using (var usage = await intruding.GetAsync("/api/v1/usage?" + query))
                {
                    var text = await usage.Content.ReadAsStringAsync();
                    Assert.DoesNotContain(victim.KeyId.ToString(), text, StringComparison.OrdinalIgnoreCase);
                    Assert.DoesNotContain(victim.WalletId.ToString(), text, StringComparison.OrdinalIgnoreCase);
                    Assert.DoesNotContain("claude-sonnet-4-6", text, StringComparison.Ordinal); // only the victim used it
                }
                using (var credits = await intruding.GetAsync("/api/v1/credits?" + query))
                {
                    var text = await credits.Content.ReadAsStringAsync();
                    Assert.DoesNotContain(victim.WalletId.ToString(), text, StringComparison.OrdinalIgnoreCase);
                }
            }

            // A customer key on every admin route, with every method: refused, nothing read or changed.
            foreach (var (method, path, body) in AdminRoutes(victim))
            {
                foreach (var header in new[] { "Authorization", "x-api-key" })
                {
                    attempts++;
                    using var request = new HttpRequestMessage(method, path);
                    if (header == "Authorization") request.Headers.Add(header, "Bearer " + intruder.Key);
                    else request.Headers.Add(header, intruder.Key);
                    if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    using var response = await new HttpClient { BaseAddress = edge }.SendAsync(request);
                    Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden,
                        $"{method} {path} with a customer key ({header}): {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
        }

        // Mass assignment through the admin's own PATCH: owner, spend, times and state are not policy, and are refused whole.
        foreach (var patch in new[]
                 {
                     $$"""{"wallet_id":"{{intruder.WalletId}}"}""", """{"spent_usd":0}""", """{"budget_used_usd":0}""", """{"created_at":"2020-01-01T00:00:00Z"}""",
                     """{"state":"active"}""", """{"key_hash":"x"}""", """{"id":"00000000-0000-0000-0000-000000000000"}""",
                     $$"""{"name":"renamed","wallet_id":"{{intruder.WalletId}}"}""", """{"name":"renamed","Wallet_Id":"x"}""",
                 })
        {
            attempts++;
            using var response = await admin.PatchAsync($"/admin/v1/keys/{victim.KeyId}", new StringContent(patch, Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"PATCH {patch}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // Nothing changed: the victim's key and wallet are as they were, and the victim's key still works.
        Assert.Equal(victimKeyBefore, await KeyFieldsAsync(admin, victim));
        var victimWalletAfter = await admin.GetFromJsonAsync<JsonObject>($"/admin/v1/wallets/{victim.WalletId}");
        Assert.Equal(victimWalletBefore!["balance_usd"]!.ToJsonString(), victimWalletAfter!["balance_usd"]!.ToJsonString());
        Assert.True((await load.SendRecordedAsync(cluster.Edges[1], victim, "gpt-5.4")).Complete);

        await using var sampler = new BalanceSampler(_truth).Start();
        await ReportAsync("16. Cross-tenant reads and writes", $"{attempts} attempts, all refused", load, [victim, intruder], sampler);
    }

    /// <summary>What an intruder might want to change about a key (not its last-used time, which the victim's own use moves).</summary>
    private static async Task<string> KeyFieldsAsync(HttpClient admin, Tenant tenant)
    {
        var key = (await admin.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{tenant.KeyId}"))!;
        return string.Join("|", new[] { "id", "wallet_id", "name", "state", "hint", "created_at", "budget_usd", "budget_period", "allowed_models", "rpm" }
            .Select(f => $"{f}={key[f]?.ToJsonString()}"));
    }

    private static IEnumerable<(HttpMethod Method, string Path, string? Body)> AdminRoutes(Tenant victim) =>
    [
        (HttpMethod.Post, "/admin/v1/keys", $$"""{"wallet_id":"{{victim.WalletId}}","name":"stolen"}"""),
        (HttpMethod.Get, $"/admin/v1/keys?wallet_id={victim.WalletId}", null),
        (HttpMethod.Get, $"/admin/v1/keys/{victim.KeyId}", null),
        (HttpMethod.Patch, $"/admin/v1/keys/{victim.KeyId}", """{"budget_usd":0.01}"""),
        (HttpMethod.Delete, $"/admin/v1/keys/{victim.KeyId}", null),
        (HttpMethod.Post, $"/admin/v1/keys/{victim.KeyId}/rotate", null),
        (HttpMethod.Post, "/admin/v1/wallets", """{"name":"mine"}"""),
        (HttpMethod.Get, $"/admin/v1/wallets/{victim.WalletId}", null),
        (HttpMethod.Post, $"/admin/v1/wallets/{victim.WalletId}/credits", """{"amount_usd":1000,"reference":"free money"}"""),
        (HttpMethod.Get, $"/admin/v1/wallets/{victim.WalletId}/ledger", null),
        (HttpMethod.Get, $"/admin/v1/logs?wallet_id={victim.WalletId}", null),
        (HttpMethod.Get, $"/admin/v1/usage?wallet_id={victim.WalletId}", null),
        (HttpMethod.Get, "/admin/v1/dead-letters/settlements", null),
        (HttpMethod.Post, "/admin/v1/dead-letters/logs/requeue", null),
    ];
}
