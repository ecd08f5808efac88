using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace NexRelay.Billing.Tests.Wallets;

public sealed class WalletsApiTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    [Fact]
    public async Task Created_wallet_is_empty_and_readable_by_admin_and_internal_apis()
    {
        using var created = await fixture.Admin.PostAsJsonAsync("/admin/v1/wallets", new { name = "Acme" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal("Acme", body.GetProperty("name").GetString());
        Assert.Equal(0m, body.GetProperty("balance_usd").GetDecimal());
        Assert.Equal(0m, body.GetProperty("reserved_usd").GetDecimal());
        Assert.Equal(0m, body.GetProperty("available_usd").GetDecimal());
        Assert.True(body.TryGetProperty("created_at", out _));

        await fixture.CreditAsync(id, 12_345_678);
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(id, 2_000_001))).Status);

        foreach (var path in new[] { $"/admin/v1/wallets/{id}", $"/internal/wallets/{id}" })
        {
            var client = path.StartsWith("/admin", StringComparison.Ordinal) ? fixture.Admin : fixture.Client;
            var wallet = await client.GetFromJsonAsync<JsonElement>(path);
            Assert.Equal(12.345678m, wallet.GetProperty("balance_usd").GetDecimal());
            Assert.Equal(2.000001m, wallet.GetProperty("reserved_usd").GetDecimal());
            Assert.Equal(10.345677m, wallet.GetProperty("available_usd").GetDecimal());
        }
    }

    [Fact]
    public async Task Credit_is_idempotent_on_its_reference_and_a_different_amount_is_409()
    {
        var wallet = await fixture.CreateWalletAsync();
        var credit = new { amount_usd = 25.5m, reference = "invoice-42" };

        using var first = await fixture.Admin.PostAsJsonAsync($"/admin/v1/wallets/{wallet}/credits", credit);
        using var repeat = await fixture.Admin.PostAsJsonAsync($"/admin/v1/wallets/{wallet}/credits", credit);
        using var conflict = await fixture.Admin.PostAsJsonAsync($"/admin/v1/wallets/{wallet}/credits", new { amount_usd = 26m, reference = "invoice-42" });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        var firstEntry = await first.Content.ReadFromJsonAsync<JsonElement>();
        var repeatEntry = await repeat.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(firstEntry.GetProperty("id").GetInt64(), repeatEntry.GetProperty("id").GetInt64());
        Assert.Equal(25.5m, firstEntry.GetProperty("amount_usd").GetDecimal());
        Assert.Equal("credit", firstEntry.GetProperty("kind").GetString());
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        Assert.Equal((25_500_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Concurrent_credits_with_one_reference_credit_once()
    {
        var wallet = await fixture.CreateWalletAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            using var r = await fixture.Admin.PostAsJsonAsync($"/admin/v1/wallets/{wallet}/credits", new { amount_usd = 1m, reference = "same" });
            return r.StatusCode;
        }));

        Assert.Single(statuses, s => s == HttpStatusCode.Created);
        Assert.Equal(9, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal((1_000_000L, 0L), await fixture.WalletAsync(wallet));
    }

    [Fact]
    public async Task Ledger_pages_newest_first_with_a_cursor_until_the_end()
    {
        var wallet = await fixture.CreateWalletAsync();
        for (var i = 1; i <= 7; i++) await fixture.CreditAsync(wallet, i * 1_000_000, $"ref-{i}");

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await fixture.Admin.GetFromJsonAsync<JsonElement>(
                $"/admin/v1/wallets/{wallet}/ledger?limit=3" + (cursor is null ? "" : $"&cursor={cursor}"));
            pages++;
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("reference").GetString()!));
            cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_cursor").GetString();
        } while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(1, 7).Reverse().Select(i => $"ref-{i}"), seen);
    }

    public static TheoryData<string, string> BadCredits => new()
    {
        { """{"amount_usd":-5,"reference":"a"}""", "amount_usd" },
        { """{"amount_usd":0,"reference":"a"}""", "amount_usd" },
        { """{"amount_usd":"ten","reference":"a"}""", "amount_usd" },
        { """{"amount_usd":1.0000001,"reference":"a"}""", "amount_usd" },
        { """{"amount_usd":1000000.000001,"reference":"a"}""", "amount_usd" },
        { """{"amount_usd":1e40,"reference":"a"}""", "amount_usd" },
        { """{"reference":"a"}""", "amount_usd" },
        { """{"amount_usd":5}""", "reference" },
        { """{"amount_usd":5,"reference":"   "}""", "reference" },
        { "{\"amount_usd\":5,\"reference\":\"" + new string('x', 201) + "\"}", "reference" },
        { """{"amount_usd":5,"reference":"a" """, "body" },
        { "", "body" },
        { "null", "body" },
    };

    [Theory]
    [MemberData(nameof(BadCredits))]
    public async Task Bad_credit_is_400_naming_the_field_and_writes_nothing(string json, string field)
    {
        var wallet = await fixture.CreateWalletAsync();
        var entriesBefore = await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries");

        using var response = await fixture.Admin.PostAsync($"/admin/v1/wallets/{wallet}/credits", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(entriesBefore, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries"));
        Assert.Equal((0L, 0L), await fixture.WalletAsync(wallet));
    }

    [Theory]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":null}""", "name")]
    [InlineData("""{}""", "name")]
    [InlineData("""{"name":42}""", "name")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""{"name":"x""", "name")]
    public async Task Bad_wallet_is_400_and_creates_nothing(string json, string field)
    {
        var walletsBefore = await fixture.ScalarAsync<long>("SELECT count(*) FROM wallets");

        using var response = await fixture.Admin.PostAsync("/admin/v1/wallets", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(walletsBefore, await fixture.ScalarAsync<long>("SELECT count(*) FROM wallets"));
    }

    [Theory]
    [InlineData("GET", "/admin/v1/wallets/{0}")]
    [InlineData("GET", "/admin/v1/wallets/{0}/ledger")]
    [InlineData("POST", "/admin/v1/wallets/{0}/credits")]
    [InlineData("GET", "/internal/wallets/{0}")]
    public async Task Unknown_wallet_is_404_problem_details(string method, string pathFormat)
    {
        foreach (var id in new[] { Guid.NewGuid().ToString(), "not-a-wallet" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), string.Format(pathFormat, id));
            if (method == "POST") request.Content = JsonContent.Create(new { amount_usd = 1m, reference = "r" });

            using var response = await fixture.Admin.SendAsync(request);

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(0L, await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE reference = 'r'"));
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=501")]
    [InlineData("?limit=abc")]
    [InlineData("?cursor=xyz")]
    [InlineData("?cursor=-1")]
    public async Task Bad_ledger_paging_is_400(string query)
    {
        var wallet = await fixture.CreateWalletAsync();

        using var response = await fixture.Admin.GetAsync($"/admin/v1/wallets/{wallet}/ledger{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer ")]
    public async Task Admin_api_without_the_admin_token_is_401_and_writes_nothing(string? authorization)
    {
        var walletsBefore = await fixture.ScalarAsync<long>("SELECT count(*) FROM wallets");
        using var client = fixture.NewClient();
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var create = await client.PostAsJsonAsync("/admin/v1/wallets", new { name = "intruder" });
        using var read = await client.GetAsync($"/admin/v1/wallets/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.Unauthorized, create.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        Assert.Equal("application/problem+json", create.Content.Headers.ContentType?.MediaType);
        Assert.Equal(walletsBefore, await fixture.ScalarAsync<long>("SELECT count(*) FROM wallets"));
    }

    [Fact]
    public async Task Budget_read_shows_used_reserved_and_remaining()
    {
        var wallet = await fixture.CreateWalletAsync(10_000_000);
        var key = Guid.NewGuid();
        var settled = BillingFixture.Hold(wallet, 300_000, key, budget: 2_000_000);
        Assert.Equal(200, (await fixture.HoldAsync(settled)).Status);
        Assert.Equal(200, (await fixture.HoldAsync(BillingFixture.Hold(wallet, 500_000, key, budget: 2_000_000))).Status);
        await fixture.SendSettlementAsync(BillingFixture.Completed(settled, 120_000));
        await fixture.WaitForConsumedAsync(settled.RequestId, 1);

        var budget = await fixture.Client.GetFromJsonAsync<JsonElement>($"/internal/budgets/{key}?budget_micros=2000000&period=total");
        var unlimited = await fixture.Client.GetFromJsonAsync<JsonElement>($"/internal/budgets/{key}");

        Assert.Equal("total", budget.GetProperty("period_key").GetString());
        Assert.Equal(0.12m, budget.GetProperty("used_usd").GetDecimal());
        Assert.Equal(0.5m, budget.GetProperty("reserved_usd").GetDecimal());
        Assert.Equal(1.38m, budget.GetProperty("remaining_usd").GetDecimal());
        Assert.Equal(JsonValueKind.Null, unlimited.GetProperty("remaining_usd").ValueKind);
        using var bad = await fixture.Client.GetAsync($"/internal/budgets/{key}?period=week");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public void Ledger_is_append_only()
    {
        using var connection = fixture.OpenDb();
        using var command = new Npgsql.NpgsqlCommand("DELETE FROM ledger_entries", connection);
        Assert.Throws<Npgsql.PostgresException>(() => command.ExecuteNonQuery());
    }
}
