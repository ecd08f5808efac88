using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Contracts.Messages;

namespace NexRelay.Logging.Tests.Apis;

/// <summary><c>GET /admin/v1/usage</c> grouped by several dimensions at once (<c>group_by=day,model</c>).</summary>
public sealed class UsageGroupingTests(LoggingFixture fixture) : IClassFixture<LoggingFixture>
{
    private static readonly DateTimeOffset Today = new(DateTime.UtcNow.Date, TimeSpan.Zero);

    private static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd");

    private static string Range(DateTimeOffset? from, DateTimeOffset? to) =>
        (from is { } f ? "&from=" + Uri.EscapeDataString(f.ToString("o")) : "") + (to is { } t ? "&to=" + Uri.EscapeDataString(t.ToString("o")) : "");

    private async Task<JsonObject> UsageAsync(string query)
    {
        var response = await fixture.Client.GetAsync("/admin/v1/usage?" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static JsonArray Groups(JsonObject usage) => usage["data"]!.AsArray();

    private static long Sum(JsonArray groups, string figure) => groups.Sum(g => g![figure]!.GetValue<long>());

    /// <summary>Rows around two midnights (partial and whole days), three models (one of them none) and two statuses.</summary>
    private async Task<RequestCompleted[]> SendAsync(Guid wallet, Guid key)
    {
        var times = new[] { -1439, -1200, -600, -1, 0, 1, 120, 600 }.Select(m => Today.AddMinutes(m)).Where(t => t < DateTimeOffset.UtcNow).ToArray();
        var events = times.Select((t, i) => Events.Make(wallet, key, i % 2 == 0 ? "gpt-4o" : "claude", status: i % 3 == 0 ? 402 : 200, createdAt: t,
            input: 100 + i, output: 10 + i, costMicros: 1_000 * (i + 1))).Select((e, i) => i == 4 ? e with { Model = null } : e).ToArray();
        await fixture.SendAsync(events);
        await fixture.WaitForWalletRowsAsync(wallet, events.Length);
        return events;
    }

    [Fact]
    public async Task By_day_and_model_the_groups_match_the_rows_of_every_range_and_add_up_to_the_ungrouped_totals()
    {
        var wallet = Guid.NewGuid();
        var key = Guid.NewGuid();
        var events = await SendAsync(wallet, key);

        // Ranges that read whole days from the rollup, partial days from the rows, or both.
        DateTimeOffset?[] bounds = [null, Today.AddDays(-1), Today.AddMinutes(-700), Today.AddMinutes(-1), Today, Today.AddSeconds(30), Today.AddMinutes(300), Today.AddDays(1)];
        foreach (var from in bounds)
        {
            foreach (var to in bounds.Where(t => t is null || from is null || t > from))
            {
                var range = Range(from, to);
                var inRange = events.Where(e => (from is null || e.CreatedAt >= from) && (to is null || e.CreatedAt < to)).ToArray();

                var byDayModel = await UsageAsync($"key_id={key}&group_by=day,model{range}");
                var expected = inRange.GroupBy(e => (Day: Day(e.CreatedAt), e.Model))
                    .OrderBy(g => g.Key.Day, StringComparer.Ordinal).ThenBy(g => g.Key.Model is null).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
                    .Select(g => $"{g.Key.Day}|{g.Key.Model ?? "null"}: {g.Count()} requests, {g.Sum(e => e.InputTokens)} in, {g.Sum(e => e.CostMicros) / 1_000_000m} usd");
                var actual = Groups(byDayModel).Select(g =>
                    $"{g!["day"]!.GetValue<string>()}|{g["model"]?.GetValue<string>() ?? "null"}: {g["requests"]!.GetValue<long>()} requests, " +
                    $"{g["input_tokens"]!.GetValue<long>()} in, {g["cost_usd"]!.GetValue<decimal>()} usd");
                Assert.Equal(expected, actual);

                // The groups add up to the totals, and those are what no grouping answers.
                var plain = await UsageAsync($"key_id={key}{range}");
                Assert.Equal(plain["totals"]!.ToJsonString(), byDayModel["totals"]!.ToJsonString());
                Assert.Equal(inRange.Length, byDayModel["totals"]!["requests"]!.GetValue<long>());
                foreach (var figure in new[] { "requests", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens" })
                    Assert.Equal(byDayModel["totals"]![figure]!.GetValue<long>(), Sum(Groups(byDayModel), figure));
                Assert.Equal(byDayModel["totals"]!["cost_usd"]!.GetValue<decimal>(), Groups(byDayModel).Sum(g => g!["cost_usd"]!.GetValue<decimal>()));

                // Error rates: model by status.
                var byModelStatus = await UsageAsync($"key_id={key}&group_by=model,status{range}");
                Assert.Equal(
                    inRange.GroupBy(e => (e.Model, e.Status)).OrderBy(g => g.Key.Model is null).ThenBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Status)
                        .Select(g => $"{g.Key.Model ?? "null"}/{g.Key.Status}: {g.Count()}"),
                    Groups(byModelStatus).Select(g => $"{g!["model"]?.GetValue<string>() ?? "null"}/{g["status"]!.GetValue<int>()}: {g["requests"]!.GetValue<long>()}"));
            }
        }
    }

    [Fact]
    public async Task Each_group_has_a_field_per_dimension_and_one_dimension_keeps_group_as_text()
    {
        var wallet = Guid.NewGuid();
        var keyA = Guid.NewGuid();
        var keyB = Guid.NewGuid();
        var events = await SendAsync(wallet, keyA);
        await fixture.SendAsync(Events.Make(wallet, keyB, "gpt-4o", status: 500, createdAt: DateTimeOffset.UtcNow.AddMinutes(-1)));
        await fixture.WaitForWalletRowsAsync(wallet, events.Length + 1);

        var byStatus = Groups(await UsageAsync($"wallet_id={wallet}&group_by=status"));
        Assert.Equal(["200", "402", "500"], byStatus.Select(g => g!["group"]!.GetValue<string>()));
        Assert.Equal([200, 402, 500], byStatus.Select(g => g!["status"]!.GetValue<int>()));

        var byModel = Groups(await UsageAsync($"wallet_id={wallet}&group_by=model"));
        var none = byModel[^1]!.AsObject(); // nulls last
        Assert.True(none.ContainsKey("group") && none.ContainsKey("model"), none.ToJsonString());
        Assert.Null(none["group"]);
        Assert.Null(none["model"]);
        Assert.All(byModel, g => Assert.Equal(g!["model"]?.GetValue<string>(), g["group"]?.GetValue<string>()));

        var byDay = Groups(await UsageAsync($"wallet_id={wallet}&group_by=day"));
        Assert.All(byDay, g => Assert.Equal(g!["day"]!.GetValue<string>(), g["group"]!.GetValue<string>()));

        var byKeyStatus = await UsageAsync($"wallet_id={wallet}&group_by=key,status");
        foreach (var g in Groups(byKeyStatus))
        {
            Assert.False(g!.AsObject().ContainsKey("group"), "several dimensions: no group field");
            Assert.False(g.AsObject().ContainsKey("model"), "not grouped by model: no model field");
            Assert.Contains(Guid.Parse(g["key_id"]!.GetValue<string>()), new[] { keyA, keyB });
        }
        var keyB500 = Assert.Single(Groups(byKeyStatus), g => g!["key_id"]!.GetValue<string>() == keyB.ToString());
        Assert.Equal(500, keyB500!["status"]!.GetValue<int>());
        Assert.Equal(1, keyB500["requests"]!.GetValue<long>());

        // A repeated parameter reads as the comma-separated list, as the edge may forward it.
        var repeated = await UsageAsync($"wallet_id={wallet}&group_by=key&group_by=status");
        Assert.Equal(byKeyStatus.ToJsonString(), repeated.ToJsonString());
    }

    [Fact]
    public async Task Whole_days_are_read_from_the_rollup_and_only_partial_days_from_the_rows()
    {
        var wallet = Guid.NewGuid();
        var key = Guid.NewGuid();
        var yesterday = Today.AddDays(-1);
        var events = new[]
        {
            Events.Make(wallet, key, "gpt-4o", createdAt: yesterday.AddHours(3), costMicros: 1_000),
            Events.Make(wallet, key, "claude", status: 402, createdAt: yesterday.AddHours(20), costMicros: 2_000),
        };
        await fixture.SendAsync(events);
        await fixture.WaitForWalletRowsAsync(wallet, events.Length);
        // The rows go (as retention would take them); their usage stays in the rollup.
        await fixture.ExecuteAsync($"DELETE FROM request_logs WHERE wallet_id = '{wallet}'");

        var wholeDay = await UsageAsync($"wallet_id={wallet}&group_by=day,model,status{Range(yesterday, Today)}");
        Assert.Equal([$"{Day(yesterday)}|claude|402|1", $"{Day(yesterday)}|gpt-4o|200|1"],
            Groups(wholeDay).Select(g => $"{g!["day"]}|{g["model"]}|{g["status"]}|{g["requests"]}"));
        Assert.Equal(0.003m, wholeDay["totals"]!["cost_usd"]!.GetValue<decimal>());

        var partialDay = await UsageAsync($"wallet_id={wallet}&group_by=day,model{Range(yesterday.AddHours(1), Today)}");
        Assert.Empty(Groups(partialDay));
        Assert.Equal(0, partialDay["totals"]!["requests"]!.GetValue<long>());
    }

    [Fact]
    public async Task By_upstream_and_status_error_rates_come_from_the_rollup_for_whole_days_and_the_rows_for_partial_ones()
    {
        var wallet = Guid.NewGuid();
        var key = Guid.NewGuid();
        var yesterday = Today.AddDays(-1);
        var at = DateTimeOffset.UtcNow.AddMinutes(-1) is var now && now > Today ? now : Today; // today's partial day
        RequestCompleted Make(string? upstream, int status, DateTimeOffset when) =>
            Events.Make(wallet, key, "gpt-4o", status: status, createdAt: when) with { UpstreamProvider = upstream };
        var events = new[]
        {
            Make("openai-east", 200, yesterday.AddHours(1)), Make("openai-east", 502, yesterday.AddHours(2)),
            Make("openai-west", 200, yesterday.AddHours(3)), Make(null, 429, yesterday.AddHours(4)),
            Make("openai-east", 200, at), Make("openai-west", 503, at),
        };
        await fixture.SendAsync(events);
        await fixture.WaitForWalletRowsAsync(wallet, events.Length);

        static IEnumerable<string> Rates(JsonObject usage) =>
            Groups(usage).Select(g => $"{g!["upstream_provider"]?.GetValue<string>() ?? "none"}/{g["status"]}: {g["requests"]}");

        // Yesterday whole (the rollup), today's part (the rows), both: refused before any upstream is its own group, last.
        Assert.Equal(["openai-east/200: 1", "openai-east/502: 1", "openai-west/200: 1", "none/429: 1"],
            Rates(await UsageAsync($"wallet_id={wallet}&group_by=upstream,status{Range(yesterday, Today)}")));
        Assert.Equal(["openai-east/200: 1", "openai-west/503: 1"],
            Rates(await UsageAsync($"wallet_id={wallet}&group_by=upstream,status{Range(Today, null)}")));
        Assert.Equal(["openai-east/200: 2", "openai-east/502: 1", "openai-west/200: 1", "openai-west/503: 1", "none/429: 1"],
            Rates(await UsageAsync($"wallet_id={wallet}&group_by=upstream,status{Range(yesterday, null)}")));

        // One dimension: its value as text in group too.
        var byUpstream = Groups(await UsageAsync($"wallet_id={wallet}&group_by=upstream{Range(yesterday, null)}"));
        Assert.Equal(["openai-east", "openai-west", null], byUpstream.Select(g => g!["group"]?.GetValue<string>()));
        Assert.Equal([3L, 2L, 1L], byUpstream.Select(g => g!["requests"]!.GetValue<long>()));

        // Across every wallet the rollup without wallets answers by upstream as well, and its groups hold these rows.
        var everyone = await UsageAsync($"group_by=upstream,status{Range(yesterday, Today)}");
        Assert.True(Groups(everyone).Any(g => g!["upstream_provider"]?.GetValue<string>() == "openai-east" && g["status"]!.GetValue<int>() == 502),
            everyone.ToJsonString());
    }

    [Fact]
    public async Task Across_every_wallet_the_groups_add_up_to_the_ungrouped_totals()
    {
        await SendAsync(Guid.NewGuid(), Guid.NewGuid());
        var plain = await UsageAsync("group_by=model");
        foreach (var grouping in new[] { "day,model,status", "status,day", "key,day", "day,key,model,status", "upstream,status", "day,upstream,key" })
        {
            var usage = await UsageAsync("group_by=" + grouping);
            Assert.Equal(plain["totals"]!.ToJsonString(), usage["totals"]!.ToJsonString());
            Assert.Equal(usage["totals"]!["requests"]!.GetValue<long>(), Sum(Groups(usage), "requests"));
        }
    }

    [Theory]
    [InlineData("day,day")]
    [InlineData("model,status,model")]
    [InlineData("day,hour")]
    [InlineData("day,")]
    [InlineData("Day")]
    public async Task An_unknown_or_repeated_dimension_is_a_400_naming_group_by(string groupBy)
    {
        var response = await fixture.Client.GetAsync("/admin/v1/usage?group_by=" + Uri.EscapeDataString(groupBy));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty("group_by", out _), problem.ToString());
    }
}
