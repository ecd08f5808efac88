using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>Every key policy rule through the real edge (both replicas), in the three formats.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PolicyTests(ClusterFixture cluster)
{
    [Fact]
    public async Task A_model_outside_the_allowed_list_is_a_403_in_each_format_before_any_hold()
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["allowed_models"] = new JsonArray("gpt-5.*") });
        using var allowed = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.2"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);

        using var openai = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.Forbidden, openai.StatusCode);
        Assert.Equal("permission_error", JsonNode.Parse(await openai.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        using var anthropic = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.Forbidden, anthropic.StatusCode);
        Assert.Equal("permission_error", JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        using var gemini = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:generateContent", GeminiBody);
        Assert.Equal(HttpStatusCode.Forbidden, gemini.StatusCode);
        Assert.Equal("PERMISSION_DENIED", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());

        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(openai));
        Assert.Equal(403, log["status"]!.GetValue<int>());
        Assert.Equal(0m, log["held_usd"]!.GetValue<decimal>());

        // Listings show only what the key may use.
        using var models = await GetAsync(cluster.Edge, tenant.Key, "/api/v1/models");
        var ids = JsonNode.Parse(await models.Content.ReadAsStringAsync())!["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("gpt-5.4", ids);
        Assert.DoesNotContain("claude-sonnet-4-6", ids);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(null)]
    public async Task The_output_cap_clamps_what_the_upstream_receives(int? asked)
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["max_output_tokens"] = 4, ["output_cap_mode"] = "clamp" });
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4", asked));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("4", response.Headers.GetValues("x-nexrelay-output-cap").Single());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        // The simulated provider answers exactly min(limit it received, 64) tokens.
        Assert.Equal(4, body["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_output_cap_clamps_in_anthropic_and_gemini_formats_too()
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["max_output_tokens"] = 2 });
        using var anthropic = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody("claude-sonnet-4-6", 50));
        Assert.Equal(2, JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["usage"]!["output_tokens"]!.GetValue<int>());
        using var gemini = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:generateContent",
            """{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}""");
        Assert.Equal("2", gemini.Headers.GetValues("x-nexrelay-output-cap").Single());
        Assert.Equal(2, JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["usageMetadata"]!["candidatesTokenCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Reject_mode_refuses_a_larger_request_naming_the_cap()
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["max_output_tokens"] = 4, ["output_cap_mode"] = "reject" });
        using var refused = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4", 20));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("4", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>());
        using var fits = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4", 3));
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.False(fits.Headers.Contains("x-nexrelay-output-cap"));
    }

    [Fact]
    public async Task Rpm_is_shared_by_both_edge_replicas_and_answered_with_429_and_headers()
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["rpm"] = 3 });
        var first = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("3", first.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal("2", first.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(cluster.Edge2, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"))).StatusCode);

        using var limited = await PostAsync(cluster.Edge2, tenant.Key, "/v1/messages", AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) is > 0 and <= 60);
        Assert.Equal("0", limited.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal("rate_limit_error", JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(429, (await LogAsync(cluster.Edge, tenant.Key, RequestId(limited)))["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_revoked_key_is_refused_by_every_replica_within_one_second()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        // Warm both replicas' caches so the refusal must come from the KeyChanged event, not a cache miss.
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(cluster.Edge, tenant.Key, "/api/v1/key")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(cluster.Edge2, tenant.Key, "/api/v1/key")).StatusCode);

        using var admin = cluster.AdminClient();
        var clock = Stopwatch.StartNew();
        Assert.True((await admin.DeleteAsync($"/admin/v1/keys/{tenant.KeyId}")).IsSuccessStatusCode);
        var refused = new[] { false, false };
        while (!refused.All(r => r) && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            for (var i = 0; i < 2; i++)
            {
                if (refused[i]) continue;
                using var response = await GetAsync(i == 0 ? cluster.Edge : cluster.Edge2, tenant.Key, "/api/v1/key");
                refused[i] = response.StatusCode == HttpStatusCode.Unauthorized;
            }
            await Task.Delay(20);
        }
        Assert.True(refused.All(r => r), "a replica still accepts the revoked key");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"revocation took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_revoked_keys_refused_request_is_still_logged_for_its_owner()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var admin = cluster.AdminClient();
        Assert.True((await admin.DeleteAsync($"/admin/v1/keys/{tenant.KeyId}")).IsSuccessStatusCode);
        var deadline = Stopwatch.StartNew();
        HttpResponseMessage refused;
        while (true)
        {
            refused = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:generateContent", GeminiBody);
            if (refused.StatusCode == HttpStatusCode.Unauthorized || deadline.Elapsed > TimeSpan.FromSeconds(10)) break;
            refused.Dispose();
            await Task.Delay(50);
        }
        using (refused)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("UNAUTHENTICATED", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
            // The owner reads it through the admin API (the revoked key itself can read nothing): refused, but on record.
            var id = RequestId(refused);
            while (true)
            {
                using var response = await admin.GetAsync($"/admin/v1/logs/{id}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var log = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    Assert.Equal(401, log["status"]!.GetValue<int>());
                    Assert.Equal("invalid_api_key", log["error_code"]!.GetValue<string>());
                    Assert.Equal(tenant.KeyId.ToString(), log["key_id"]!.GetValue<string>());
                    Assert.Equal("gemini", log["client_format"]!.GetValue<string>());
                    break;
                }
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(40), $"no log row for {id}: {(int)response.StatusCode}");
                await Task.Delay(200);
            }
        }
    }

    [Fact]
    public async Task Self_service_shows_the_key_without_secrets_and_never_another_keys_logs()
    {
        var mine = await Tenant.CreateAsync(cluster, policy: new JsonObject { ["budget_usd"] = 2.5m, ["budget_period"] = "month", ["rpm"] = 100 });
        var other = await Tenant.CreateAsync(cluster);
        using var key = await GetAsync(cluster.Edge, mine.Key, "/api/v1/key");
        var text = await key.Content.ReadAsStringAsync();
        Assert.DoesNotContain(mine.Key, text);
        var data = JsonNode.Parse(text)!["data"]!;
        Assert.Equal(2.5m, data["budget_usd"]!.GetValue<decimal>());
        Assert.Equal("month", data["budget_period"]!.GetValue<string>());
        Assert.Equal(2.5m, data["budget_remaining_usd"]!.GetValue<decimal>());
        Assert.StartsWith("nrk_", data["hint"]!.GetValue<string>());
        Assert.EndsWith(mine.Key[^4..], data["hint"]!.GetValue<string>());

        using var theirs = await PostAsync(cluster.Edge, other.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        var theirId = RequestId(theirs);
        await LogAsync(cluster.Edge, other.Key, theirId);
        using var peek = await GetAsync(cluster.Edge, mine.Key, $"/api/v1/logs/{theirId}");
        Assert.Equal(HttpStatusCode.NotFound, peek.StatusCode);
        Assert.Equal("invalid_request_error", JsonNode.Parse(await peek.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        using var list = await GetAsync(cluster.Edge, mine.Key, $"/api/v1/logs?key_id={other.KeyId}");
        Assert.Empty(JsonNode.Parse(await list.Content.ReadAsStringAsync())!["data"]!.AsArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("nrk_short")]
    [InlineData("sk-not-ours-at-all")]
    public async Task Missing_or_malformed_keys_are_401_in_each_format(string key)
    {
        using var openai = await PostAsync(cluster.Edge, key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.Equal(HttpStatusCode.Unauthorized, openai.StatusCode);
        using var anthropic = await PostAsync(cluster.Edge, key, "/v1/messages", AnthropicBody("claude-sonnet-4-6"));
        Assert.Equal("authentication_error", JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        using var gemini = await PostAsync(cluster.Edge, key, "/v1beta/models/gemini-2.5-flash:generateContent", GeminiBody);
        Assert.Equal("UNAUTHENTICATED", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Customer_keys_are_never_accepted_on_the_admin_api()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var response = await GetAsync(cluster.Edge, tenant.Key, $"/admin/v1/wallets/{tenant.WalletId}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }
}
