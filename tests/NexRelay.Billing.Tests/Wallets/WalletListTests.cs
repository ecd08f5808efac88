using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NexRelay.ServiceDefaults;

namespace NexRelay.Billing.Tests.Wallets;

/// <summary><c>GET /admin/v1/wallets</c>: newest first, keyset-paged, searched by id or name. Its own database, so listings are exact.</summary>
public sealed class WalletListTests(BillingFixture fixture) : IClassFixture<BillingFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => fixture.AssertInvariantsAsync();

    private async Task<JsonElement> CreateAsync(string name)
    {
        using var response = await fixture.Admin.PostAsJsonAsync("/admin/v1/wallets", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Follows next_cursor from the first page to the last; returns each page's ids.</summary>
    private async Task<List<List<Guid>>> PagesAsync(string query)
    {
        var pages = new List<List<Guid>>();
        string? cursor = null;
        do
        {
            var page = await fixture.Admin.GetFromJsonAsync<JsonElement>(
                "/admin/v1/wallets?" + query + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            pages.Add([.. page.GetProperty("data").EnumerateArray().Select(w => w.GetProperty("id").GetGuid())]);
            cursor = page.GetProperty("next_cursor").GetString();
            Assert.True(pages.Count < 100, "the cursor never reached the last page");
        } while (cursor is not null);
        return pages;
    }

    private async Task<List<Guid>> NewestFirstInDatabaseAsync()
    {
        await using var connection = fixture.OpenDb();
        await using var command = new Npgsql.NpgsqlCommand("SELECT id FROM wallets ORDER BY created_at DESC, id DESC", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    [Fact]
    public async Task Pages_hold_every_wallet_once_newest_first()
    {
        var token = Guid.NewGuid().ToString("N")[..10];
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++) created.Add((await CreateAsync($"paged {token} {i}")).GetProperty("id").GetGuid());

        var pages = await PagesAsync($"q={token}&limit=3");
        Assert.Equal([3, 3, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Reverse(created), pages.SelectMany(p => p));

        // Every wallet of the database, two at a time: each exactly once, in (created_at, id) order.
        var everything = (await PagesAsync("limit=2")).SelectMany(p => p).ToList();
        Assert.Equal(await NewestFirstInDatabaseAsync(), everything);
    }

    [Fact]
    public async Task A_wallet_created_while_paging_shifts_no_page()
    {
        var token = Guid.NewGuid().ToString("N")[..10];
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++) created.Add((await CreateAsync($"shift {token} {i}")).GetProperty("id").GetGuid());

        var first = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/admin/v1/wallets?q={token}&limit=2");
        var newcomer = (await CreateAsync($"shift {token} late")).GetProperty("id").GetGuid();
        var cursor = first.GetProperty("next_cursor").GetString()!;
        var rest = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/admin/v1/wallets?q={token}&limit=10&cursor={Uri.EscapeDataString(cursor)}");

        Assert.Equal([created[4], created[3]], first.GetProperty("data").EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));
        Assert.Equal([created[2], created[1], created[0]], rest.GetProperty("data").EnumerateArray().Select(w => w.GetProperty("id").GetGuid()));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next_cursor").ValueKind);
        var fresh = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/admin/v1/wallets?q={token}&limit=1");
        Assert.Equal(newcomer, fresh.GetProperty("data")[0].GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Search_finds_a_wallet_by_id_or_by_part_of_its_name_in_any_case()
    {
        var token = Guid.NewGuid().ToString("N")[..10];
        var acme = await CreateAsync($"{token} Acme Corp");
        var acmeLabs = await CreateAsync($"{token} ACME labs");
        await CreateAsync($"{token} Globex");
        var percent = await CreateAsync($"{token} 50%_off");
        await CreateAsync($"{token} 500 off");
        await fixture.CreditAsync(acme.GetProperty("id").GetGuid(), 2_500_000);

        async Task<List<JsonElement>> SearchAsync(string q) =>
            [.. (await fixture.Admin.GetFromJsonAsync<JsonElement>("/admin/v1/wallets?q=" + Uri.EscapeDataString(q))).GetProperty("data").EnumerateArray()];

        Assert.Equal([acmeLabs.GetProperty("id").GetGuid(), acme.GetProperty("id").GetGuid()],
            (await SearchAsync($"{token} aCmE")).Select(w => w.GetProperty("id").GetGuid()));
        // % and _ are matched as themselves, not as LIKE wildcards.
        Assert.Equal([percent.GetProperty("id").GetGuid()], (await SearchAsync($"{token} 50%_")).Select(w => w.GetProperty("id").GetGuid()));
        Assert.Empty(await SearchAsync($"{token} nobody"));

        // An id finds exactly that wallet, as GET /admin/v1/wallets/{id} shows it (credit included).
        var id = acme.GetProperty("id").GetGuid();
        var byId = await SearchAsync(id.ToString().ToUpperInvariant());
        var single = await fixture.Admin.GetStringAsync($"/admin/v1/wallets/{id}");
        Assert.Equal(single, Assert.Single(byId).GetRawText());
        Assert.Equal(2.5m, byId[0].GetProperty("balance_usd").GetDecimal());
        Assert.Empty(await SearchAsync(Guid.NewGuid().ToString()));
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=abc", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("cursor=xyz", "cursor")]
    [InlineData("cursor=12345", "cursor")]
    [InlineData("cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "cursor")]
    [InlineData("q=%01acme", "q")]
    public async Task Bad_paging_or_search_is_400_naming_the_parameter(string query, string parameter)
    {
        using var response = await fixture.Admin.GetAsync("/admin/v1/wallets?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ProblemTypes.InvalidRequest, problem.GetProperty("type").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"errors should name {parameter}: {problem}");
    }

    [Fact]
    public async Task A_search_longer_than_a_name_is_400()
    {
        using var response = await fixture.Admin.GetAsync("/admin/v1/wallets?q=" + new string('x', 201));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("q", out _));
    }

    [Fact]
    public async Task Listing_needs_the_admin_token()
    {
        using var client = fixture.NewClient();
        using var response = await client.GetAsync("/admin/v1/wallets");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
