using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Contracts.Keys;
using NexRelay.KeyPolicy.Keys;
using NexRelay.ServiceDefaults.Internal;
using Npgsql;
using NexRelay.Testing;

namespace NexRelay.KeyPolicy.Tests;

public sealed class KeysApiTests(KeyPolicyFixture fx) : IClassFixture<KeyPolicyFixture>
{
    private static JsonObject NewKeyBody(Guid? walletId = null) => new()
    {
        ["wallet_id"] = (walletId ?? Guid.NewGuid()).ToString(),
        ["name"] = "ci key",
        ["allowed_models"] = new JsonArray("gpt-4o-mini", "claude-*"),
        ["max_output_tokens"] = 256,
        ["output_cap_mode"] = "clamp",
        ["budget_usd"] = 5.0m,
        ["budget_period"] = "total",
        ["rpm"] = 600,
        ["tpm"] = null,
        ["expires_at"] = null,
        ["log_bodies"] = false,
    };

    private async Task<JsonObject> CreateAsync(JsonObject? body = null)
    {
        var response = await fx.Client.PostAsJsonAsync("/admin/v1/keys", body ?? NewKeyBody());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private Task<HttpResponseMessage> LookupResponseAsync(string hash) =>
        fx.Client.PostAsJsonAsync(KeyLookupRequest.Path, new KeyLookupRequest { KeyHash = hash }, KeySnapshotJson.Options);

    private async Task<KeySnapshot> LookupAsync(string hash)
    {
        var response = await LookupResponseAsync(hash);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<KeySnapshot>(KeySnapshotJson.Options))!;
    }

    private static string Hash(string key) => KeyHash.Compute(KeyPolicyFixture.HashSecret, key);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task Create_returns_the_key_once_with_prefix_hint_and_the_policy()
    {
        var walletId = Guid.NewGuid();
        var created = await CreateAsync(NewKeyBody(walletId));

        var key = created["key"]!.GetValue<string>();
        Assert.True(KeyHash.LooksLikeKey(key));
        Assert.StartsWith("nrk_", key);
        Assert.Equal(47, key.Length);
        Assert.Equal($"nrk_…{key[^4..]}", created["hint"]!.GetValue<string>());
        Assert.Equal(walletId.ToString(), created["wallet_id"]!.GetValue<string>());
        Assert.Equal("ci key", created["name"]!.GetValue<string>());
        Assert.Equal(["gpt-4o-mini", "claude-*"], created["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(256, created["max_output_tokens"]!.GetValue<int>());
        Assert.Equal("clamp", created["output_cap_mode"]!.GetValue<string>());
        Assert.Equal(5.0m, created["budget_usd"]!.GetValue<decimal>());
        Assert.Equal("total", created["budget_period"]!.GetValue<string>());
        Assert.Equal(600, created["rpm"]!.GetValue<int>());
        Assert.Null(created["tpm"]);
        Assert.True(created.ContainsKey("tpm"));
        Assert.False(created["log_bodies"]!.GetValue<bool>());
        Assert.Equal("active", created["state"]!.GetValue<string>());
        Assert.True(created.ContainsKey("created_at"));
        Assert.False(created.ContainsKey("key_hash"));

        // Shown once: reading it back never includes the secret.
        var id = created["id"]!.GetValue<string>();
        var again = await fx.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{id}");
        Assert.False(again!.ContainsKey("key"));
        Assert.Equal(created["hint"]!.GetValue<string>(), again["hint"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_created_keys_differ()
    {
        var a = await CreateAsync();
        var b = await CreateAsync();
        Assert.NotEqual(a["key"]!.GetValue<string>(), b["key"]!.GetValue<string>());
        Assert.NotEqual(a["id"]!.GetValue<string>(), b["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Defaults_apply_when_only_wallet_and_name_are_given()
    {
        var created = await CreateAsync(new JsonObject { ["wallet_id"] = Guid.NewGuid().ToString(), ["name"] = "minimal" });
        Assert.Empty(created["allowed_models"]!.AsArray());
        Assert.Null(created["max_output_tokens"]);
        Assert.Equal("clamp", created["output_cap_mode"]!.GetValue<string>());
        Assert.Null(created["budget_usd"]);
        Assert.Equal("total", created["budget_period"]!.GetValue<string>());
        Assert.Null(created["rpm"]);
        Assert.False(created["log_bodies"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Get_and_list_show_the_hint_but_never_the_key_or_its_hash()
    {
        var walletId = Guid.NewGuid();
        var first = await CreateAsync(NewKeyBody(walletId));
        var second = await CreateAsync(NewKeyBody(walletId));
        await CreateAsync(NewKeyBody()); // another wallet's key

        var listText = await fx.Client.GetStringAsync($"/admin/v1/keys?wallet_id={walletId}");
        var list = JsonNode.Parse(listText)!["data"]!.AsArray();
        Assert.Equal(2, list.Count);
        Assert.Equal([second["id"]!.GetValue<string>(), first["id"]!.GetValue<string>()], list.Select(k => k!["id"]!.GetValue<string>())); // newest first
        Assert.All(list, k => Assert.Equal(walletId.ToString(), k!["wallet_id"]!.GetValue<string>()));

        var getText = await fx.Client.GetStringAsync($"/admin/v1/keys/{first["id"]}");
        foreach (var created in new[] { first, second })
        {
            var key = created["key"]!.GetValue<string>();
            foreach (var text in new[] { listText, getText })
            {
                Assert.DoesNotContain(key[4..], text);
                Assert.DoesNotContain(Hash(key), text);
            }
        }
        Assert.DoesNotContain("\"key\"", listText);
    }

    [Fact]
    public async Task List_with_a_malformed_wallet_id_is_a_validation_problem()
    {
        // wallet_id is optional (without it every wallet's keys are listed), but one that is not a UUID is refused.
        var problem = await ProblemAsync(await fx.Client.GetAsync("/admin/v1/keys?wallet_id=wallet-1"), HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("wallet_id"));
    }

    [Fact]
    public async Task Unknown_or_malformed_id_is_404_problem_on_every_route()
    {
        foreach (var id in new[] { Guid.NewGuid().ToString(), "not-a-uuid" })
        {
            await ProblemAsync(await fx.Client.GetAsync($"/admin/v1/keys/{id}"), HttpStatusCode.NotFound);
            await ProblemAsync(await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""{"rpm":5}""")), HttpStatusCode.NotFound);
            await ProblemAsync(await fx.Client.PostAsync($"/admin/v1/keys/{id}/rotate", null), HttpStatusCode.NotFound);
            await ProblemAsync(await fx.Client.DeleteAsync($"/admin/v1/keys/{id}"), HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Patch_changes_policy_fields_and_leaves_the_rest()
    {
        var created = await CreateAsync();
        var id = created["id"]!.GetValue<string>();
        var key = created["key"]!.GetValue<string>();

        var response = await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""
            {"allowed_models":["gpt-*"],"max_output_tokens":1000,"output_cap_mode":"reject","budget_usd":12.345678,
             "budget_period":"month","rpm":60,"tpm":10000,"expires_at":"2031-02-03T04:05:06Z","log_bodies":true,"name":"renamed"}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var patched = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(["gpt-*"], patched["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(1000, patched["max_output_tokens"]!.GetValue<int>());
        Assert.Equal("reject", patched["output_cap_mode"]!.GetValue<string>());
        Assert.Equal(12.345678m, patched["budget_usd"]!.GetValue<decimal>());
        Assert.Equal("month", patched["budget_period"]!.GetValue<string>());
        Assert.Equal(60, patched["rpm"]!.GetValue<int>());
        Assert.Equal(10000, patched["tpm"]!.GetValue<int>());
        Assert.Equal(new DateTimeOffset(2031, 2, 3, 4, 5, 6, TimeSpan.Zero), patched["expires_at"]!.GetValue<DateTimeOffset>());
        Assert.True(patched["log_bodies"]!.GetValue<bool>());
        Assert.Equal("renamed", patched["name"]!.GetValue<string>());
        Assert.Equal(created["wallet_id"]!.GetValue<string>(), patched["wallet_id"]!.GetValue<string>());
        Assert.Equal(created["hint"]!.GetValue<string>(), patched["hint"]!.GetValue<string>());
        Assert.False(patched.ContainsKey("key"));

        // Setting a field to null clears it; fields not sent stay.
        var cleared = (await (await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""{"tpm":null,"budget_usd":null}""")))
            .Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Null(cleared["tpm"]);
        Assert.Null(cleared["budget_usd"]);
        Assert.Equal(60, cleared["rpm"]!.GetValue<int>());

        // The edge sees the new policy: in the lookup, in Redis, and through the event.
        var snapshot = await LookupAsync(Hash(key));
        Assert.Equal(60, snapshot!.Policy.Rpm);
        Assert.Null(snapshot.Policy.Tpm);
        Assert.Equal("reject", snapshot.Policy.OutputCapMode);
        Assert.Equal(["gpt-*"], snapshot.Policy.AllowedModels);
        var cachedJson = await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(Hash(key)));
        Assert.Equal(1000, KeySnapshotJson.Deserialize(cachedJson!)!.Policy.MaxOutputTokens);
        var changed = await fx.WaitForEventAsync(Guid.Parse(id), "updated");
        Assert.Equal([Hash(key)], changed.KeyHashes);
    }

    [Fact]
    public async Task Patch_disabled_sets_the_state_and_back()
    {
        var created = await CreateAsync();
        var id = created["id"]!.GetValue<string>();
        var hash = Hash(created["key"]!.GetValue<string>());

        var disabled = (await (await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""{"disabled":true}"""))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("disabled", disabled["state"]!.GetValue<string>());
        Assert.True(disabled["disabled"]!.GetValue<bool>());
        Assert.Equal("disabled", (await LookupAsync(hash))!.State);

        var enabled = (await (await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""{"disabled":false}"""))).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("active", enabled["state"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"colour":"blue"}""", "colour")]
    [InlineData("""{"rpm":5,"max_tokens":10}""", "max_tokens")]
    public async Task Patch_with_an_unknown_field_is_400_naming_it_and_changes_nothing(string body, string field)
    {
        var created = await CreateAsync();
        var id = created["id"]!.GetValue<string>();
        var problem = await ProblemAsync(await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json(body)), HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]!.AsObject().ContainsKey(field));
        Assert.Contains(field, problem["detail"]!.GetValue<string>());
        var after = await fx.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{id}");
        Assert.Equal(600, after!["rpm"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("wallet_id", "\"00000000-0000-0000-0000-000000000001\"")]
    [InlineData("id", "\"00000000-0000-0000-0000-000000000001\"")]
    [InlineData("key", "\"nrk_abc\"")]
    [InlineData("hint", "\"nrk_…zzzz\"")]
    [InlineData("state", "\"active\"")]
    [InlineData("created_at", "\"2020-01-01T00:00:00Z\"")]
    public async Task Patch_of_a_read_only_field_is_400_naming_it(string field, string value)
    {
        var created = await CreateAsync();
        var id = created["id"]!.GetValue<string>();
        var problem = await ProblemAsync(await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json($$"""{"{{field}}":{{value}}}""")), HttpStatusCode.BadRequest);
        Assert.Contains("read-only", problem["errors"]![field]![0]!.GetValue<string>());
        var after = await fx.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{id}");
        Assert.Equal(created["wallet_id"]!.GetValue<string>(), after!["wallet_id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("wallet_id", "\"not-a-uuid\"")]
    [InlineData("wallet_id", "\"00000000-0000-0000-0000-000000000000\"")]
    [InlineData("wallet_id", "42")]
    [InlineData("name", "\"\"")]
    [InlineData("name", "\"   \"")]
    [InlineData("name", "null")]
    [InlineData("allowed_models", "\"gpt-4o\"")]
    [InlineData("allowed_models", "[\"\"]")]
    [InlineData("allowed_models", "[\"gpt 4o\"]")]
    [InlineData("allowed_models", "[3]")]
    [InlineData("max_output_tokens", "0")]
    [InlineData("max_output_tokens", "1000001")]
    [InlineData("max_output_tokens", "12.5")]
    [InlineData("max_output_tokens", "\"256\"")]
    [InlineData("output_cap_mode", "\"truncate\"")]
    [InlineData("output_cap_mode", "null")]
    [InlineData("budget_usd", "-1")]
    [InlineData("budget_usd", "1.0000001")]
    [InlineData("budget_usd", "\"5\"")]
    [InlineData("budget_period", "\"week\"")]
    [InlineData("rpm", "0")]
    [InlineData("rpm", "-5")]
    [InlineData("rpm", "99999999999")]
    [InlineData("tpm", "0")]
    [InlineData("expires_at", "\"tomorrow\"")]
    [InlineData("expires_at", "\"2030-01-01T00:00:00\"")]
    [InlineData("expires_at", "123")]
    [InlineData("log_bodies", "\"yes\"")]
    [InlineData("disabled", "true")]
    [InlineData("hint", "\"x\"")]
    [InlineData("surprise", "1")]
    public async Task Create_with_an_invalid_field_is_400_naming_it(string field, string value)
    {
        var body = NewKeyBody();
        body[field] = JsonNode.Parse(value);
        var problem = await ProblemAsync(await fx.Client.PostAsJsonAsync("/admin/v1/keys", body), HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal([field], errors.Select(e => e.Key));
        Assert.Contains(field, problem["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("wallet_id")]
    [InlineData("name")]
    public async Task Create_without_a_required_field_is_400_naming_it(string field)
    {
        var body = NewKeyBody();
        body.Remove(field);
        var problem = await ProblemAsync(await fx.Client.PostAsJsonAsync("/admin/v1/keys", body), HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]!.AsObject().ContainsKey(field));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    public async Task Create_with_a_body_that_is_not_a_json_object_is_400(string body)
    {
        var problem = await ProblemAsync(await fx.Client.PostAsync("/admin/v1/keys", Json(body)), HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("body"));
    }

    [Fact]
    public async Task Budget_keeps_six_decimals_exactly()
    {
        var body = NewKeyBody();
        body["budget_usd"] = 0.000001m;
        var created = await CreateAsync(body);
        Assert.Equal(0.000001m, created["budget_usd"]!.GetValue<decimal>());
        var snapshot = await LookupAsync(Hash(created["key"]!.GetValue<string>()));
        Assert.Equal(1, snapshot!.Policy.BudgetMicros);
    }

    [Fact]
    public async Task Expiry_with_an_offset_is_stored_as_the_same_instant()
    {
        var body = NewKeyBody();
        body["expires_at"] = "2030-06-01T12:00:00+02:00";
        var created = await CreateAsync(body);
        Assert.Equal(new DateTimeOffset(2030, 6, 1, 10, 0, 0, TimeSpan.Zero), created["expires_at"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Rotate_returns_a_new_key_and_only_the_new_one_resolves()
    {
        var created = await CreateAsync();
        var id = created["id"]!.GetValue<string>();
        var oldKey = created["key"]!.GetValue<string>();

        var response = await fx.Client.PostAsync($"/admin/v1/keys/{id}/rotate", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var newKey = rotated["key"]!.GetValue<string>();
        Assert.True(KeyHash.LooksLikeKey(newKey));
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(id, rotated["id"]!.GetValue<string>());
        Assert.Equal($"nrk_…{newKey[^4..]}", rotated["hint"]!.GetValue<string>());
        Assert.Equal(600, rotated["rpm"]!.GetValue<int>());
        Assert.Equal(created["created_at"]!.GetValue<DateTimeOffset>(), rotated["created_at"]!.GetValue<DateTimeOffset>());

        await ProblemAsync(await LookupResponseAsync(Hash(oldKey)), HttpStatusCode.NotFound);
        var snapshot = await LookupAsync(Hash(newKey));
        Assert.Equal(Guid.Parse(id), snapshot!.Id);
        Assert.Equal("active", snapshot.State);

        // Redis: the old hash now holds a revoked tombstone, the new one the live key.
        var db = fx.Redis.GetDatabase();
        Assert.Equal("revoked", KeySnapshotJson.Deserialize((await db.StringGetAsync(KeyHash.RedisKey(Hash(oldKey))))!)!.State);
        Assert.Equal("active", KeySnapshotJson.Deserialize((await db.StringGetAsync(KeyHash.RedisKey(Hash(newKey))))!)!.State);

        var changed = await fx.WaitForEventAsync(Guid.Parse(id), "rotated");
        Assert.Equal(new[] { Hash(newKey), Hash(oldKey) }.Order(), changed.KeyHashes.Order());
    }

    [Fact]
    public async Task Revoke_makes_the_lookup_answer_revoked_and_freezes_the_key()
    {
        var created = await CreateAsync();
        var id = created["id"]!.GetValue<string>();
        var hash = Hash(created["key"]!.GetValue<string>());

        var response = await fx.Client.DeleteAsync($"/admin/v1/keys/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revoked = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("revoked", revoked["state"]!.GetValue<string>());
        Assert.NotNull(revoked["revoked_at"]);

        Assert.Equal("revoked", (await LookupAsync(hash))!.State);
        Assert.Equal("revoked", KeySnapshotJson.Deserialize((await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(hash)))!)!.State);
        var changed = await fx.WaitForEventAsync(Guid.Parse(id), "revoked");
        Assert.Equal([hash], changed.KeyHashes);

        await ProblemAsync(await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""{"disabled":false}""")), HttpStatusCode.Conflict);
        await ProblemAsync(await fx.Client.PostAsync($"/admin/v1/keys/{id}/rotate", null), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.DeleteAsync($"/admin/v1/keys/{id}")).StatusCode);
        Assert.Equal("revoked", (await fx.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{id}"))!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Create_writes_the_redis_snapshot_and_publishes_KeyChanged()
    {
        var created = await CreateAsync();
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        var hash = Hash(created["key"]!.GetValue<string>());

        var redisKey = KeyHash.RedisKey(hash);
        var cached = KeySnapshotJson.Deserialize((await fx.Redis.GetDatabase().StringGetAsync(redisKey))!);
        Assert.Equal(id, cached!.Id);
        Assert.Equal(5_000_000, cached.Policy.BudgetMicros);
        var ttl = await fx.Redis.GetDatabase().KeyTimeToLiveAsync(redisKey);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));

        var changed = await fx.WaitForEventAsync(id, "created");
        Assert.Equal([hash], changed.KeyHashes);
    }

    [Fact]
    public async Task An_older_snapshot_never_overwrites_a_newer_one_in_redis()
    {
        var created = await CreateAsync();
        var id = created["id"]!.GetValue<string>();
        var hash = Hash(created["key"]!.GetValue<string>());
        var before = await LookupAsync(hash);
        await fx.Client.DeleteAsync($"/admin/v1/keys/{id}");

        // A lookup that read the key before the revocation finishes last: its older state must not win.
        Assert.True(await fx.Factory.Services.GetRequiredService<KeySnapshotWriter>().TryWriteAsync(hash, before));
        Assert.Equal("active", before.State);
        Assert.Equal(0, before.Version);
        Assert.Equal("revoked", KeySnapshotJson.Deserialize((await fx.Redis.GetDatabase().StringGetAsync(KeyHash.RedisKey(hash)))!)!.State);
        Assert.Equal("1", (await fx.Redis.GetDatabase().StringGetAsync(KeySnapshotWriter.VersionKey(hash))).ToString());
    }

    [Fact]
    public async Task Lookup_by_hash_returns_the_snapshot_and_refills_redis()
    {
        var created = await CreateAsync();
        var hash = Hash(created["key"]!.GetValue<string>());
        await fx.Redis.GetDatabase().KeyDeleteAsync(KeyHash.RedisKey(hash));

        var json = await (await LookupResponseAsync(hash)).Content.ReadAsStringAsync();
        Assert.Contains("\"wallet_id\"", json);
        Assert.Contains("\"max_output_tokens\":256", json);
        var snapshot = KeySnapshotJson.Deserialize(json)!;
        Assert.Equal(Guid.Parse(created["id"]!.GetValue<string>()), snapshot.Id);
        Assert.Equal(Guid.Parse(created["wallet_id"]!.GetValue<string>()), snapshot.WalletId);
        Assert.Equal("active", snapshot.State);
        Assert.Equal(["gpt-4o-mini", "claude-*"], snapshot.Policy.AllowedModels);
        Assert.Equal(256, snapshot.Policy.MaxOutputTokens);
        Assert.Equal(600, snapshot.Policy.Rpm);
        Assert.DoesNotContain(hash, json);

        Assert.True(await fx.Redis.GetDatabase().KeyExistsAsync(KeyHash.RedisKey(hash)));
    }

    [Theory]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("xyz")]
    [InlineData("nrk_abc")]
    public async Task Lookup_of_an_unknown_or_malformed_hash_is_404(string hash) =>
        await ProblemAsync(await LookupResponseAsync(hash), HttpStatusCode.NotFound);

    [Theory]
    [InlineData("{}")]
    [InlineData("{not json")]
    [InlineData("{\"key_hash\":5}")]
    public async Task Lookup_without_a_hash_is_400_naming_key_hash(string body)
    {
        var problem = await ProblemAsync(await fx.Client.PostAsync(KeyLookupRequest.Path, Json(body)), HttpStatusCode.BadRequest);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("key_hash"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("test-internal-token-8c2e5f1a9")]
    [InlineData(KeyPolicyFixture.AdminToken)]
    public async Task Lookup_without_the_internal_token_is_401_and_reveals_nothing(string? token)
    {
        var created = await CreateAsync();
        var hash = Hash(created["key"]!.GetValue<string>());
        using var caller = fx.Factory.CreateClient();
        if (token is not null) caller.DefaultRequestHeaders.TryAddWithoutValidation(InternalAuth.HeaderName, token);

        var problem = await ProblemAsync(
            await caller.PostAsJsonAsync(KeyLookupRequest.Path, new KeyLookupRequest { KeyHash = hash }, KeySnapshotJson.Options),
            HttpStatusCode.Unauthorized);

        Assert.Equal("https://nexrelay.dev/problems/internal-token", problem["type"]!.GetValue<string>());
        Assert.DoesNotContain(created["id"]!.GetValue<string>(), problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await LookupResponseAsync(hash)).StatusCode); // the edge's token works
    }

    [Fact]
    public async Task Admin_api_refuses_a_missing_wrong_or_customer_token_with_401()
    {
        var created = await CreateAsync();
        using var anonymous = fx.Factory.CreateClient();
        var requests = new Func<HttpClient, Task<HttpResponseMessage>>[]
        {
            c => c.GetAsync($"/admin/v1/keys?wallet_id={created["wallet_id"]}"),
            c => c.GetAsync($"/admin/v1/keys/{created["id"]}"),
            c => c.PostAsJsonAsync("/admin/v1/keys", NewKeyBody()),
            c => c.PatchAsync($"/admin/v1/keys/{created["id"]}", Json("""{"rpm":1}""")),
            c => c.PostAsync($"/admin/v1/keys/{created["id"]}/rotate", null),
            c => c.DeleteAsync($"/admin/v1/keys/{created["id"]}"),
        };
        var credentials = new AuthenticationHeaderValue?[]
        {
            null,
            new("Bearer", "wrong-token-but-long-enough"),
            new("Bearer", KeyPolicyFixture.AdminToken + "x"),
            new("Basic", KeyPolicyFixture.AdminToken),
            new("Bearer", created["key"]!.GetValue<string>()),
        };
        foreach (var credential in credentials)
        {
            anonymous.DefaultRequestHeaders.Authorization = credential;
            foreach (var request in requests)
            {
                await ProblemAsync(await request(anonymous), HttpStatusCode.Unauthorized);
            }
        }
        var after = await fx.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{created["id"]}");
        Assert.Equal("active", after!["state"]!.GetValue<string>());
        Assert.Equal(600, after["rpm"]!.GetValue<int>());
    }

    [Fact]
    public async Task Neither_the_database_nor_the_logs_ever_contain_a_key()
    {
        var keys = new List<string>();
        var created = await CreateAsync();
        keys.Add(created["key"]!.GetValue<string>());
        var id = created["id"]!.GetValue<string>();
        await fx.Client.PatchAsync($"/admin/v1/keys/{id}", Json("""{"rpm":7}"""));
        var rotated = await (await fx.Client.PostAsync($"/admin/v1/keys/{id}/rotate", null)).Content.ReadFromJsonAsync<JsonObject>();
        keys.Add(rotated!["key"]!.GetValue<string>());
        await LookupAsync(Hash(keys[1]));
        await fx.Client.DeleteAsync($"/admin/v1/keys/{id}");
        await fx.WaitForEventAsync(Guid.Parse(id), "revoked");

        await using var connection = new NpgsqlConnection(TestInfrastructure.PostgresDatabase(fx.Database));
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        Assert.Contains("keys", tables);

        foreach (var key in keys)
        {
            // The random part alone (and any 12-character slice of it) must not appear either.
            var needles = new[] { key, key[4..], key[4..16], key[20..32] };
            foreach (var table in tables)
            {
                foreach (var needle in needles)
                {
                    await using var scan = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\" t WHERE strpos(t::text, @needle) > 0", connection);
                    scan.Parameters.AddWithValue("needle", needle);
                    Assert.Equal(0L, (long)(await scan.ExecuteScalarAsync())!);
                }
            }
            var hash = Hash(key);
            Assert.NotEmpty(fx.Logs.Lines);
            foreach (var line in fx.Logs.Lines)
            {
                Assert.DoesNotContain(key[4..16], line);
                Assert.False(line.Contains(hash, StringComparison.Ordinal), line);
            }
        }
    }
}
