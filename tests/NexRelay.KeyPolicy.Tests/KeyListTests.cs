using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NexRelay.Testing;

namespace NexRelay.KeyPolicy.Tests;

/// <summary>
/// <c>GET /admin/v1/keys</c>: newest first, keyset-paged, filtered by wallet, state and a search. Its own database, so a
/// listing of every key is exact.
/// </summary>
public sealed class KeyListTests(KeyPolicyFixture fx) : IClassFixture<KeyPolicyFixture>
{
    private async Task<JsonObject> CreateAsync(Guid walletId, string name)
    {
        var response = await fx.Client.PostAsJsonAsync("/admin/v1/keys", new JsonObject { ["wallet_id"] = walletId.ToString(), ["name"] = name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static string Id(JsonNode key) => key["id"]!.GetValue<string>();

    private async Task<JsonObject> ListAsync(string query)
    {
        var response = await fx.Client.GetAsync("/admin/v1/keys?" + query);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private async Task<List<string>> IdsAsync(string query) => [.. (await ListAsync(query))["data"]!.AsArray().Select(k => Id(k!))];

    /// <summary>Follows next_cursor from the first page to the last; returns each page's ids.</summary>
    private async Task<List<List<string>>> PagesAsync(string query)
    {
        var pages = new List<List<string>>();
        string? cursor = null;
        do
        {
            var page = await ListAsync(query + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            pages.Add([.. page["data"]!.AsArray().Select(k => Id(k!))]);
            cursor = page["next_cursor"]?.GetValue<string>();
            Assert.True(pages.Count < 100, "the cursor never reached the last page");
        } while (cursor is not null);
        return pages;
    }

    [Fact]
    public async Task Pages_hold_every_key_once_newest_first_for_a_wallet_and_for_all()
    {
        var wallet = Guid.NewGuid();
        var created = new List<string>();
        for (var i = 0; i < 5; i++) created.Add(Id(await CreateAsync(wallet, $"paged {i}")));
        await CreateAsync(Guid.NewGuid(), "another wallet's");

        var pages = await PagesAsync($"wallet_id={wallet}&limit=2");
        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(created), pages.SelectMany(p => p));

        // Every key of the database, three at a time: each exactly once, in (created_at, id) order.
        await using var db = new NpgsqlConnection(TestInfrastructure.PostgresDatabase(fx.Database));
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id::text FROM keys ORDER BY created_at DESC, id DESC", db);
        var expected = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) expected.Add(reader.GetString(0));
        }
        Assert.Equal(expected, (await PagesAsync("limit=3")).SelectMany(p => p));
    }

    [Fact]
    public async Task A_wallets_few_keys_come_on_one_page_as_before()
    {
        var wallet = Guid.NewGuid();
        for (var i = 0; i < 3; i++) await CreateAsync(wallet, $"few {i}");

        var page = await ListAsync($"wallet_id={wallet}");

        Assert.Equal(3, page["data"]!.AsArray().Count);
        Assert.True(page.ContainsKey("next_cursor"));
        Assert.Null(page["next_cursor"]);
    }

    [Fact]
    public async Task Keys_filter_by_wallet_and_state()
    {
        var wallet = Guid.NewGuid();
        var active = Id(await CreateAsync(wallet, "stays active"));
        var revoked = Id(await CreateAsync(wallet, "revoked"));
        var disabled = Id(await CreateAsync(wallet, "disabled"));
        var elsewhere = Id(await CreateAsync(Guid.NewGuid(), "revoked elsewhere"));
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.DeleteAsync($"/admin/v1/keys/{revoked}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.DeleteAsync($"/admin/v1/keys/{elsewhere}")).StatusCode);
        var patch = await fx.Client.PatchAsync($"/admin/v1/keys/{disabled}", new StringContent("""{"disabled":true}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);

        Assert.Equal([disabled, revoked, active], await IdsAsync($"wallet_id={wallet}"));
        Assert.Equal([active], await IdsAsync($"wallet_id={wallet}&status=active"));
        Assert.Equal([revoked], await IdsAsync($"wallet_id={wallet}&status=revoked"));
        Assert.Equal([disabled], await IdsAsync($"wallet_id={wallet}&status=disabled"));

        var allRevoked = await ListAsync("status=revoked&limit=1000");
        Assert.All(allRevoked["data"]!.AsArray(), k => Assert.Equal("revoked", k!["state"]!.GetValue<string>()));
        Assert.Equal([elsewhere, revoked], allRevoked["data"]!.AsArray().Select(k => Id(k!)).Where(id => id == elsewhere || id == revoked));
    }

    [Fact]
    public async Task Search_finds_a_key_by_id_hint_or_part_of_its_name()
    {
        var wallet = Guid.NewGuid();
        var token = Guid.NewGuid().ToString("N")[..10];
        var billing = await CreateAsync(wallet, $"{token} Billing Export");
        var batch = await CreateAsync(wallet, $"{token} BILLING batch");
        var other = await CreateAsync(wallet, $"{token} chat bot");
        var percent = await CreateAsync(wallet, $"{token} 100%_done");
        await CreateAsync(wallet, $"{token} 1000 done");

        Assert.Equal([Id(batch), Id(billing)], await IdsAsync("q=" + Uri.EscapeDataString($"{token} billing")));
        Assert.Equal([Id(percent)], await IdsAsync("q=" + Uri.EscapeDataString($"{token} 100%_")));
        Assert.Empty(await IdsAsync("q=" + Uri.EscapeDataString($"{token} nothing")));

        Assert.Equal([Id(other)], await IdsAsync("q=" + Id(other)));
        Assert.Equal([Id(other)], await IdsAsync($"q={Id(other)}&wallet_id={wallet}"));
        Assert.Empty(await IdsAsync($"q={Id(other)}&wallet_id={Guid.NewGuid()}"));
        Assert.Empty(await IdsAsync($"q={Guid.NewGuid()}"));

        // The hint as logs show it, or typed with three dots.
        var hint = other["hint"]!.GetValue<string>();
        var hinted = await IdsAsync("q=" + Uri.EscapeDataString(hint));
        Assert.Contains(Id(other), hinted);
        foreach (var id in hinted) Assert.Equal(hint, (await fx.Client.GetFromJsonAsync<JsonObject>($"/admin/v1/keys/{id}"))!["hint"]!.GetValue<string>());
        Assert.Contains(Id(other), await IdsAsync("q=" + Uri.EscapeDataString(hint.Replace("…", "..."))));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=AAAA", "cursor")]
    [InlineData("wallet_id=not-a-uuid", "wallet_id")]
    [InlineData("status=expired", "status")]
    [InlineData("status=ACTIVE", "status")]
    [InlineData("q=%00", "q")]
    public async Task Bad_parameters_are_400_naming_them(string query, string parameter)
    {
        var response = await fx.Client.GetAsync("/admin/v1/keys?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("https://nexrelay.dev/problems/invalid-request", problem["type"]!.GetValue<string>());
        Assert.True(problem["errors"]!.AsObject().ContainsKey(parameter), $"errors should name {parameter}: {problem}");
    }
}
