using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using NexRelay.ServiceDefaults;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// A cluster whose notification worker polls fast, retries fast and forgets flapping after 10 s instead of a minute, so the
/// flap window and the retries can be watched within a test. Its own cluster (one edge): the shared one keeps the defaults.
/// </summary>
public sealed class NotificationClusterFixture() : IsolatedClusterFixture("notify")
{
    public const int FlapWindowSeconds = 10;

    protected override bool SecondEdge => false;

    // Its own databases and queues: a billing of another test cluster on the same tables would be a replica with other
    // notification settings (its own receiver allowed, not this one's), and would claim and refuse this cluster's deliveries.
    protected override IEnumerable<string> ExtraSettings() =>
    [
        .. IsolationSettings(),
        $"NexRelay:Notifications:FlapWindowSeconds={FlapWindowSeconds}",
        "NexRelay:Notifications:PollMilliseconds=200",
        "NexRelay:Notifications:FirstRetryMilliseconds=300",
        "NexRelay:Notifications:MaxAttempts=3",
    ];
}

/// <summary>
/// Low-balance webhooks through the real services: the key holder sets them at the edge, billing notices the crossing after
/// a settlement and POSTs a signed event to the simulated provider's receiver, which the tests read back.
/// </summary>
public sealed class NotificationTests(NotificationClusterFixture cluster) : IClassFixture<NotificationClusterFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private Uri Receiver(string name) => new(cluster.App.GetEndpoint(ResourceNames.SimulatedProvider, "http"), $"/sim/webhooks/{name}");

    [Fact]
    public async Task Crossing_sends_one_signed_event_flapping_sends_none_and_crossing_again_after_the_window_sends_again()
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var name = "low-" + Guid.NewGuid().ToString("N")[..8];
        var secret = await CreateSettingsAsync(me, Receiver(name), thresholdUsd: 1m);

        // Below the threshold: one event, signed with the secret shown once.
        await SpendAsync(me);
        var first = (await WaitForDeliveriesAsync(name, 1)).Single();
        AssertSigned(first, secret);
        var body = JsonNode.Parse(first["body"]!.GetValue<string>())!;
        Assert.Equal("balance.below_threshold", body["type"]!.GetValue<string>());
        Assert.Equal(first["eventId"]!.GetValue<string>(), body["id"]!.GetValue<string>());
        Assert.Equal(me.WalletId.ToString(), body["wallet_id"]!.GetValue<string>());
        Assert.Equal(1m, body["data"]!["threshold_usd"]!.GetValue<decimal>());
        Assert.True(body["data"]!["balance_usd"]!.GetValue<decimal>() < 1m);

        // Still below, more spending: nothing more.
        await SpendAsync(me);
        await Task.Delay(1500);
        Assert.Single(await DeliveriesAsync(name));

        // Flap: back above (a credit), then below again within the window: nothing.
        await LiftAboveAsync(me, 1m);
        await SpendAsync(me);
        await Task.Delay(1500);
        Assert.Single(await DeliveriesAsync(name));

        // After the window: back above and below again sends a second event, with a new id.
        await Task.Delay(TimeSpan.FromSeconds(NotificationClusterFixture.FlapWindowSeconds));
        await LiftAboveAsync(me, 1m);
        await SpendAsync(me);
        var both = await WaitForDeliveriesAsync(name, 2);
        AssertSigned(both[1], secret);
        Assert.NotEqual(both[0]["eventId"]!.GetValue<string>(), both[1]["eventId"]!.GetValue<string>());
        await Task.Delay(1000);
        Assert.Equal(2, (await DeliveriesAsync(name)).Count);

        // The owner's delivery log: both, newest first, each delivered at its first attempt.
        var log = await LogAsync(me);
        Assert.Equal([both[1]["eventId"]!.GetValue<string>(), both[0]["eventId"]!.GetValue<string>()],
            log.Select(d => d!["id"]!.GetValue<string>()));
        Assert.All(log, d =>
        {
            Assert.Equal("delivered", d!["state"]!.GetValue<string>());
            Assert.Equal(200, d["attempt_log"]!.AsArray().Single()!["status_code"]!.GetValue<int>());
        });
    }

    [Fact]
    public async Task A_keys_budget_sends_one_event_at_80_percent_and_one_when_used_up()
    {
        // The price of one request, from a key with room to spare; then a budget of twenty such requests for the day. (Each
        // request's worst case, held before it runs, is a few times its price, so the budget refuses one a little before it is
        // spent to the cent, and well after 80 %.)
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m, new JsonObject { ["budget_usd"] = 1m, ["budget_period"] = "day" });
        var name = "budget-" + Guid.NewGuid().ToString("N")[..8];
        var secret = await CreateSettingsAsync(me, Receiver(name), thresholdUsd: 0m);
        var cost = await SpendAsync(me);
        var budget = cost * 20;
        using (var admin = cluster.AdminClient())
        using (var patch = await admin.PatchAsJsonAsync($"/admin/v1/keys/{me.KeyId}", new { budget_usd = budget }))
            patch.EnsureSuccessStatusCode();

        // Spending until both events are in. The budget refuses a request when what is spent and reserved leaves no room for
        // its worst case; a refusal while a credit lease still holds room is not "used up" yet, so spending goes on after one
        // (the lease is given back) until what is spent itself leaves no room.
        var refusals = 0;
        for (var i = 0; i < 40 && (await DeliveriesAsync(name)).Count < 2; i++)
        {
            var before = (await CreditsAsync(cluster.Edge, me.Key))["balance_usd"]!.GetValue<decimal>();
            using var response = await PostAsync(cluster.Edge, me.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                await WaitForBalanceBelowAsync(me, before);
                continue;
            }
            Assert.Equal("budget_exceeded", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
            refusals++;
            await Task.Delay(500);
        }
        Assert.True(refusals > 0, "the budget of twenty requests never refused one");

        // Two signed events: 80 % of it spent, and used up.
        var both = await WaitForDeliveriesAsync(name, 2);
        var events = both.Select(d => JsonNode.Parse(d["body"]!.GetValue<string>())!).OrderBy(e => e["data"]!["percent"]!.GetValue<int>()).ToList();
        Assert.All(both, d => AssertSigned(d, secret));
        Assert.All(events, e =>
        {
            Assert.Equal("budget.threshold_reached", e["type"]!.GetValue<string>());
            Assert.Equal(me.WalletId.ToString(), e["wallet_id"]!.GetValue<string>());
            Assert.Equal(me.KeyId.ToString(), e["data"]!["key_id"]!.GetValue<string>());
            Assert.Equal("day:" + DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), e["data"]!["period_key"]!.GetValue<string>());
            Assert.Equal(budget, e["data"]!["budget_usd"]!.GetValue<decimal>());
        });
        var (eighty, usedUp) = (events[0]["data"]!, events[1]["data"]!);
        Assert.Equal(80, eighty["percent"]!.GetValue<int>());
        Assert.InRange(eighty["spent_usd"]!.GetValue<decimal>(), budget * 0.8m, budget);
        Assert.Equal(100, usedUp["percent"]!.GetValue<int>());
        // Used up: spent reached the budget, or it refused a request that what was spent left no room for.
        Assert.True(usedUp["refused"]!.GetValue<bool>() || usedUp["spent_usd"]!.GetValue<decimal>() >= budget, usedUp.ToJsonString());
        Assert.InRange(usedUp["spent_usd"]!.GetValue<decimal>(), budget * 0.8m, budget);

        // More refusals tell the owner nothing new; the balance threshold (0) never fired.
        using (await PostAsync(cluster.Edge, me.Key, "/api/v1/chat/completions", Chat("gpt-5.4"))) { }
        await Task.Delay(1500);
        Assert.Equal(2, (await DeliveriesAsync(name)).Count);
        Assert.All(await LogAsync(me), d => Assert.Equal("budget.threshold_reached", d!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Budget_alerts_off_sends_nothing_for_budgets()
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m, new JsonObject { ["budget_usd"] = 1m, ["budget_period"] = "total" });
        var name = "nobudget-" + Guid.NewGuid().ToString("N")[..8];
        using (var response = await PutSettingsAsync(me, new JsonObject
        {
            ["url"] = Receiver(name).ToString(), ["balance_below_usd"] = 0, ["budget_alerts"] = false,
        }))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.False(JsonNode.Parse(text)!["data"]!["budget_alerts"]!.GetValue<bool>());
        }

        // Spent all of a budget lowered to one request's price, and refused (which tells billing the new limit): with alerts
        // on that is two events (the test above), here none.
        var cost = await SpendAsync(me);
        using (var admin = cluster.AdminClient())
        using (var patch = await admin.PatchAsJsonAsync($"/admin/v1/keys/{me.KeyId}", new { budget_usd = cost }))
            patch.EnsureSuccessStatusCode();
        // The edge learns the new policy from key-policy's event: until then a request may still be taken under the old one.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await PostAsync(cluster.Edge, me.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
            if (response.StatusCode == HttpStatusCode.PaymentRequired) break;
            Assert.True(deadline.Elapsed < Patience, "the lowered budget never refused a request");
            await Task.Delay(200);
        }
        await Task.Delay(2000);
        Assert.Empty(await DeliveriesAsync(name));
        Assert.Empty(await LogAsync(me));
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_backoff_and_every_attempt_is_logged()
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var name = "retry-" + Guid.NewGuid().ToString("N")[..8];
        using var sim = new HttpClient();
        using (var config = await sim.PutAsJsonAsync(new Uri(Receiver(name) + "/config"), new { failFirst = 2 })) config.EnsureSuccessStatusCode();
        var secret = await CreateSettingsAsync(me, Receiver(name), thresholdUsd: 1m);

        await SpendAsync(me);
        var got = await WaitForDeliveriesAsync(name, 3);
        Assert.Equal([503, 503, 200], got.Select(d => d["answeredStatus"]!.GetValue<int>()));
        Assert.Single(got.Select(d => d["eventId"]!.GetValue<string>()).Distinct()); // one event, three attempts
        Assert.All(got, d => AssertSigned(d, secret));
        var gaps = got.Zip(got.Skip(1), (a, b) => b["receivedAt"]!.GetValue<DateTimeOffset>() - a["receivedAt"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.True(gaps[0] >= TimeSpan.FromMilliseconds(250) && gaps[1] >= TimeSpan.FromMilliseconds(550), string.Join(", ", gaps)); // 300 ms, then 600 ms

        var delivery = await WaitForLogStateAsync(me, "delivered");
        Assert.Equal(3, delivery["attempts"]!.GetValue<int>());
        Assert.Equal([503, 503, 200], delivery["attempt_log"]!.AsArray().Select(a => a!["status_code"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_redirect_is_not_followed_and_the_event_is_given_up_after_its_attempts()
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var name = "redirect-" + Guid.NewGuid().ToString("N")[..8];
        using var sim = new HttpClient();
        // The receiver sends billing on to the metadata address: never followed.
        using (var config = await sim.PutAsJsonAsync(new Uri(Receiver(name) + "/config"), new { redirectTo = "http://169.254.169.254/latest/meta-data/" }))
            config.EnsureSuccessStatusCode();
        await CreateSettingsAsync(me, Receiver(name), thresholdUsd: 1m);

        await SpendAsync(me);
        var delivery = await WaitForLogStateAsync(me, "failed");
        var attempts = delivery["attempt_log"]!.AsArray();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a =>
        {
            Assert.Equal(302, a!["status_code"]!.GetValue<int>());
            Assert.Contains("not followed", a["error"]!.GetValue<string>());
        });
        Assert.Equal(3, (await DeliveriesAsync(name)).Count);
    }

    [Fact]
    public async Task The_delivery_log_and_settings_are_the_calling_keys_wallets_only()
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var other = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var name = "mine-" + Guid.NewGuid().ToString("N")[..8];
        await CreateSettingsAsync(me, Receiver(name), thresholdUsd: 1m);
        await SpendAsync(me);
        await WaitForLogStateAsync(me, "delivered");

        // Another wallet's key sees nothing of it, whatever it puts in the query.
        using var theirs = await GetAsync(cluster.Edge, other.Key, $"/api/v1/notifications?wallet_id={me.WalletId}");
        Assert.Equal(HttpStatusCode.OK, theirs.StatusCode);
        Assert.Empty(JsonNode.Parse(await theirs.Content.ReadAsStringAsync())!["data"]!.AsArray());
        using var theirSettings = await GetAsync(cluster.Edge, other.Key, "/api/v1/notifications/settings");
        Assert.Equal(HttpStatusCode.NotFound, theirSettings.StatusCode);
        Assert.Equal("not_found", JsonNode.Parse(await theirSettings.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());

        // The owner reads settings without the secret; the operator reads the same log through the admin API.
        using var mine = await GetAsync(cluster.Edge, me.Key, "/api/v1/notifications/settings");
        var settings = JsonNode.Parse(await mine.Content.ReadAsStringAsync())!["data"]!;
        Assert.Null(settings["signing_secret"]);
        Assert.Equal(Receiver(name).ToString(), settings["url"]!.GetValue<string>());
        using var admin = cluster.AdminClient();
        var adminLog = JsonNode.Parse(await admin.GetStringAsync($"/admin/v1/wallets/{me.WalletId}/notifications"))!["data"]!.AsArray();
        Assert.Single(adminLog);

        // Cleared: gone for the owner too.
        using var delete = await SendAsync(HttpMethod.Delete, me.Key, "/api/v1/notifications/settings");
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        using var gone = await GetAsync(cluster.Edge, me.Key, "/api/v1/notifications/settings");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Theory]
    [InlineData("https://localhost/hook")]                        // a DNS name that resolves to 127.0.0.1
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://2130706433/hook")]                       // 127.0.0.1 as one number
    [InlineData("https://[::1]/hook")]
    [InlineData("https://[::ffff:127.0.0.1]/hook")]               // IPv6-mapped loopback
    [InlineData("https://[::ffff:169.254.169.254]/latest")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]     // cloud metadata
    [InlineData("https://10.0.0.5/hook")]
    [InlineData("https://172.16.3.4/hook")]
    [InlineData("https://192.168.0.10/hook")]
    [InlineData("https://100.64.0.1/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("http://example.com/hook")]                       // not https
    [InlineData("ftp://example.com/hook")]
    [InlineData("https://user:pw@example.com/hook")]
    [InlineData("not a url")]
    public async Task A_refused_url_is_a_400_naming_url_and_nothing_is_saved(string url)
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PutSettingsAsync(me, new JsonObject { ["url"] = url, ["balance_below_usd"] = 1 });
        await AssertInvalidAsync(response, "url");
        using var get = await GetAsync(cluster.Edge, me.Key, "/api/v1/notifications/settings");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task The_simulated_receiver_is_allowed_on_its_own_port_only()
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var receiver = Receiver("port");
        var otherPort = new UriBuilder(receiver) { Port = receiver.Port == 1 ? 2 : receiver.Port - 1 }.Uri;
        using var refused = await PutSettingsAsync(me, new JsonObject { ["url"] = otherPort.ToString(), ["balance_below_usd"] = 1 });
        await AssertInvalidAsync(refused, "url");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.0000001)]
    [InlineData(null)]
    public async Task A_bad_threshold_is_a_400_naming_it(double? threshold)
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        using var response = await PutSettingsAsync(me, new JsonObject { ["url"] = Receiver("t").ToString(), ["balance_below_usd"] = threshold });
        await AssertInvalidAsync(response, "balance_below_usd");
    }

    [Fact]
    public async Task Changing_settings_keeps_the_secret_and_does_not_show_it_again()
    {
        var me = await Tenant.CreateAsync(cluster, creditUsd: 1m);
        var secret = await CreateSettingsAsync(me, Receiver("a"), thresholdUsd: 0.5m);
        using var again = await PutSettingsAsync(me, new JsonObject { ["url"] = Receiver("b").ToString(), ["balance_below_usd"] = 0.25 });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var data = JsonNode.Parse(await again.Content.ReadAsStringAsync())!["data"]!;
        Assert.Null(data["signing_secret"]);
        Assert.Equal(0.25m, data["balance_below_usd"]!.GetValue<decimal>());
        Assert.StartsWith(secret[..12], data["secret_hint"]!.GetValue<string>());
    }

    // --- helpers ---

    private async Task<string> CreateSettingsAsync(Tenant tenant, Uri url, decimal thresholdUsd)
    {
        using var response = await PutSettingsAsync(tenant, new JsonObject { ["url"] = url.ToString(), ["balance_below_usd"] = thresholdUsd });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        var secret = JsonNode.Parse(text)!["data"]!["signing_secret"]!.GetValue<string>();
        Assert.StartsWith("nrwhsec_", secret);
        return secret;
    }

    private Task<HttpResponseMessage> PutSettingsAsync(Tenant tenant, JsonObject body) =>
        SendAsync(HttpMethod.Put, tenant.Key, "/api/v1/notifications/settings", body.ToJsonString());

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string key, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return await cluster.Edge.SendAsync(request);
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string param)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
    }

    /// <summary>One paid request, waited for until billing has captured it (the balance went down); returns what it cost.</summary>
    private async Task<decimal> SpendAsync(Tenant tenant)
    {
        var before = (await CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>();
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var deadline = Stopwatch.StartNew();
        decimal after;
        while ((after = (await CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>()) >= before)
        {
            Assert.True(deadline.Elapsed < Patience, "the request was never captured");
            await Task.Delay(100);
        }
        return before - after;
    }

    /// <summary>Waits until billing has captured enough that the balance is below <paramref name="usd"/>.</summary>
    private async Task WaitForBalanceBelowAsync(Tenant tenant, decimal usd)
    {
        var deadline = Stopwatch.StartNew();
        while ((await CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>() >= usd)
        {
            Assert.True(deadline.Elapsed < Patience, "the request was never captured");
            await Task.Delay(50);
        }
    }

    /// <summary>Credits just enough to bring the balance back to the threshold plus one micro-dollar, and lets billing see it.</summary>
    private async Task LiftAboveAsync(Tenant tenant, decimal thresholdUsd)
    {
        var balance = (await CreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>();
        using var admin = cluster.AdminClient();
        using var credit = await admin.PostAsJsonAsync($"/admin/v1/wallets/{tenant.WalletId}/credits",
            new { amount_usd = thresholdUsd - balance + 0.000001m, reference = "lift-" + Guid.NewGuid() });
        credit.EnsureSuccessStatusCode();
        // The worker samples balances (each settlement and credit nudges it, and it polls every 200 ms here): give it a
        // moment to see the balance above before the next spend takes it below again.
        await Task.Delay(1000);
    }

    private async Task<List<JsonObject>> DeliveriesAsync(string name)
    {
        using var sim = new HttpClient();
        return JsonNode.Parse(await sim.GetStringAsync(Receiver(name)))!.AsArray().Select(n => n!.AsObject()).ToList();
    }

    private async Task<List<JsonObject>> WaitForDeliveriesAsync(string name, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var got = await DeliveriesAsync(name);
            if (got.Count >= count) return got;
            Assert.True(deadline.Elapsed < Patience, $"{got.Count} of {count} deliveries arrived");
            await Task.Delay(100);
        }
    }

    private async Task<JsonArray> LogAsync(Tenant tenant)
    {
        using var response = await GetAsync(cluster.Edge, tenant.Key, "/api/v1/notifications");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["data"]!.AsArray();
    }

    private async Task<JsonNode> WaitForLogStateAsync(Tenant tenant, string state)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var log = await LogAsync(tenant);
            if (log.Count > 0 && log[0]!["state"]!.GetValue<string>() == state) return log[0]!;
            Assert.True(deadline.Elapsed < Patience, $"no {state} delivery: {log.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    /// <summary>What a receiver does: recompute HMAC-SHA256 over "t.body" with the secret and compare, and check the time.</summary>
    private static void AssertSigned(JsonObject delivery, string secret)
    {
        var header = delivery["signature"]!.GetValue<string>();
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var t = long.Parse(parts["t"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t, -60, 300);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes($"{t}.{delivery["body"]!.GetValue<string>()}")));
        Assert.Equal(expected, parts["v1"]);
    }
}
