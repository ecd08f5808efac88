using System.Data;
using System.Runtime.CompilerServices;
using System.Text;
using NexRelay.Contracts.Messages;
using NexRelay.Contracts.Money;
using Npgsql;
using NpgsqlTypes;

namespace NexRelay.Logging.Logs;

/// <summary>All SQL over <c>request_logs</c>.</summary>
public sealed class RequestLogStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        request_id, created_at, key_id, key_hint, wallet_id, client_format, route, model, upstream_provider, upstream_model,
        stream, status, error_code, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, usage_estimated,
        usage_clamped, held_micros, cost_micros, latency_ms, upstream_ttfb_ms, ttft_ms, finish_reason, client_ip, user_agent,
        stored_bytes, request_body, response_body
        """;

    // One statement per batch: arrays unnested into rows. A redelivered request id is skipped, never a second row, and only
    // the rows inserted are added to usage, in the same statement (so in the same transaction): the batch's totals per day,
    // wallet, key, model, status and upstream go to usage_pending, appended, so that concurrent batches of a hot key never wait on one
    // rollup row (upserting it here cost a third of ingestion's throughput with four writers). UsageRollupPump folds them
    // into the rollups (docs/architecture.md, "Usage rollups"). Sums saturate at bigint's maximum (see Saturated).
    private const string InsertSql = $"""
        WITH inserted AS (
            INSERT INTO request_logs ({Columns})
            SELECT * FROM unnest(@request_id, @created_at, @key_id, @key_hint, @wallet_id, @client_format, @route, @model,
                @upstream_provider, @upstream_model, @stream, @status, @error_code, @input_tokens, @cached_input_tokens,
                @output_tokens, @reasoning_tokens, @usage_estimated, @usage_clamped, @held_micros, @cost_micros, @latency_ms,
                @upstream_ttfb_ms, @ttft_ms, @finish_reason, @client_ip, @user_agent, @stored_bytes, @request_body, @response_body)
            ON CONFLICT (request_id) DO NOTHING
            RETURNING created_at, wallet_id, key_id, model, status, upstream_provider, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros
        ), pending AS (
            INSERT INTO usage_pending (day, wallet_id, key_id, model, status, upstream_provider, requests, input_tokens, cached_input_tokens,
                output_tokens, reasoning_tokens, cost_micros)
            SELECT (created_at AT TIME ZONE 'UTC')::date, wallet_id, key_id, model, status, upstream_provider, count(*), LEAST(sum(input_tokens), 9223372036854775807)::bigint,
                   LEAST(sum(cached_input_tokens), 9223372036854775807)::bigint, LEAST(sum(output_tokens), 9223372036854775807)::bigint, LEAST(sum(reasoning_tokens), 9223372036854775807)::bigint, LEAST(sum(cost_micros), 9223372036854775807)::bigint
            FROM inserted
            GROUP BY 1, 2, 3, 4, 5, 6
        )
        SELECT count(*)::int FROM inserted
        """;

    /// <summary>Inserts the events not stored yet; returns how many rows were new.</summary>
    public async Task<int> InsertAsync(IReadOnlyCollection<RequestCompleted> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return 0;
        var rows = events.DistinctBy(e => e.RequestId, StringComparer.Ordinal).ToArray();
        if (rows.Length == 0) return 0;
        await using var command = dataSource.CreateCommand(InsertSql);
        var p = command.Parameters;
        Add(p, "request_id", NpgsqlDbType.Text, rows.Select(e => e.RequestId));
        Add(p, "created_at", NpgsqlDbType.TimestampTz, rows.Select(e => e.CreatedAt.UtcDateTime));
        Add(p, "key_id", NpgsqlDbType.Uuid, rows.Select(e => e.KeyId));
        Add(p, "key_hint", NpgsqlDbType.Text, rows.Select(e => e.KeyHint));
        Add(p, "wallet_id", NpgsqlDbType.Uuid, rows.Select(e => e.WalletId));
        Add(p, "client_format", NpgsqlDbType.Text, rows.Select(e => e.ClientFormat ?? ""));
        Add(p, "route", NpgsqlDbType.Text, rows.Select(e => e.Route ?? ""));
        Add(p, "model", NpgsqlDbType.Text, rows.Select(e => e.Model));
        Add(p, "upstream_provider", NpgsqlDbType.Text, rows.Select(e => e.UpstreamProvider));
        Add(p, "upstream_model", NpgsqlDbType.Text, rows.Select(e => e.UpstreamModel));
        Add(p, "stream", NpgsqlDbType.Boolean, rows.Select(e => e.Stream));
        Add(p, "status", NpgsqlDbType.Integer, rows.Select(e => e.Status));
        Add(p, "error_code", NpgsqlDbType.Text, rows.Select(e => e.ErrorCode));
        Add(p, "input_tokens", NpgsqlDbType.Bigint, rows.Select(e => e.InputTokens));
        Add(p, "cached_input_tokens", NpgsqlDbType.Bigint, rows.Select(e => e.CachedInputTokens));
        Add(p, "output_tokens", NpgsqlDbType.Bigint, rows.Select(e => e.OutputTokens));
        Add(p, "reasoning_tokens", NpgsqlDbType.Bigint, rows.Select(e => e.ReasoningTokens));
        Add(p, "usage_estimated", NpgsqlDbType.Boolean, rows.Select(e => e.UsageEstimated));
        Add(p, "usage_clamped", NpgsqlDbType.Boolean, rows.Select(e => e.UsageClamped));
        Add(p, "held_micros", NpgsqlDbType.Bigint, rows.Select(e => e.HeldMicros));
        Add(p, "cost_micros", NpgsqlDbType.Bigint, rows.Select(e => e.CostMicros));
        Add(p, "latency_ms", NpgsqlDbType.Double, rows.Select(e => e.LatencyMs));
        Add(p, "upstream_ttfb_ms", NpgsqlDbType.Double, rows.Select(e => e.UpstreamTtfbMs));
        Add(p, "ttft_ms", NpgsqlDbType.Double, rows.Select(e => e.TtftMs));
        Add(p, "finish_reason", NpgsqlDbType.Text, rows.Select(e => e.FinishReason));
        Add(p, "client_ip", NpgsqlDbType.Text, rows.Select(e => e.ClientIp));
        Add(p, "user_agent", NpgsqlDbType.Text, rows.Select(e => e.UserAgent));
        Add(p, "stored_bytes", NpgsqlDbType.Bigint, rows.Select(e => e.StoredBytes));
        Add(p, "request_body", NpgsqlDbType.Text, rows.Select(e => e.RequestBody));
        Add(p, "response_body", NpgsqlDbType.Text, rows.Select(e => e.ResponseBody));
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Up to <paramref name="limit"/> rows newest first, strictly after <paramref name="after"/>.</summary>
    public async Task<LogPage> ListAsync(LogFilter filter, LogCursor? after, int limit, CancellationToken cancellationToken)
    {
        var entries = new List<LogEntry>(Math.Min(limit + 1, 1024));
        await foreach (var entry in StreamAsync(filter, after, limit + 1, cancellationToken)) entries.Add(entry);
        if (entries.Count <= limit) return new LogPage(entries, null);
        entries.RemoveAt(limit);
        var last = entries[^1];
        return new LogPage(entries, new LogCursor(last.CreatedAt.UtcDateTime, last.RequestId).Encode());
    }

    /// <summary>Rows newest first as the database returns them (for exports: nothing is buffered beyond one row).</summary>
    public async IAsyncEnumerable<LogEntry> StreamAsync(LogFilter filter, LogCursor? after, int? limit,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM request_logs WHERE true");
        AppendFilter(sql, command.Parameters, filter);
        if (after is { } cursor)
        {
            sql.Append(" AND (created_at, request_id) < (@cursor_at, @cursor_id)");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("cursor_at", NpgsqlDbType.TimestampTz) { TypedValue = cursor.CreatedAt });
            command.Parameters.Add(Text("cursor_id", cursor.RequestId));
        }
        sql.Append(" ORDER BY created_at DESC, request_id DESC");
        if (limit is { } n)
        {
            sql.Append(" LIMIT @limit");
            command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = n });
        }
        command.CommandText = sql.ToString();
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) yield return await ReadEntryAsync(reader, cancellationToken);
    }

    public async Task<LogEntry?> GetAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM request_logs WHERE request_id = @id");
        command.Parameters.Add(Text("id", requestId));
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? await ReadEntryAsync(reader, cancellationToken) : null;
    }

    /// <summary>
    /// Figures per distinct combination of <paramref name="grouping"/>'s values, ordered by them (nulls last), and their totals.
    /// Whole days come from the rollups and only the partial days at the range's edges from the rows (<see cref="UsageSpan"/>),
    /// whatever the grouping: every dimension is a rollup column.
    /// </summary>
    public async Task<UsageReport> UsageAsync(LogFilter filter, IReadOnlyList<UsageDimension> grouping, CancellationToken cancellationToken)
    {
        var groups = string.Join(", ", grouping.Select((_, i) => $"g{i}"));
        var span = UsageSpan.Of(filter.From, filter.To);
        await using var command = dataSource.CreateCommand();
        var p = command.Parameters;
        var identity = new StringBuilder();
        AppendIdentityFilter(identity, p, filter);
        var parts = new List<string>(3);
        if (span.WholeDays)
        {
            // Across every wallet and not by key: the rollup without wallets and keys, a few rows a day. Plus what the pump has
            // not folded in yet (a second's worth of batches).
            var table = filter is { WalletId: null, KeyId: null } && !grouping.Contains(UsageDimension.Key) ? "usage_daily_all" : "usage_daily";
            var columns = (table == "usage_daily" ? "day, wallet_id, key_id, " : "day, ")
                + "model, status, upstream_provider, requests, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros";
            var rollup = new StringBuilder($"""
                SELECT {string.Join(", ", grouping.Select(d => d.RollupSql()))}, requests, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros
                FROM (SELECT {columns} FROM {table} UNION ALL SELECT {columns} FROM usage_pending) AS rollup
                WHERE true{identity}
                """);
            if (span.FirstDay is { } first)
            {
                rollup.Append(" AND day >= @first_day");
                p.Add(new NpgsqlParameter<DateOnly>("first_day", NpgsqlDbType.Date) { TypedValue = first });
            }
            if (span.EndDay is { } end)
            {
                rollup.Append(" AND day < @end_day");
                p.Add(new NpgsqlParameter<DateOnly>("end_day", NpgsqlDbType.Date) { TypedValue = end });
            }
            parts.Add(rollup.ToString());
        }
        foreach (var (range, i) in span.Partial.Select((r, i) => (r, i)))
        {
            parts.Add($"""
                SELECT {string.Join(", ", grouping.Select(d => d.RawSql()))}, 1::bigint, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros
                FROM request_logs WHERE true{identity} AND created_at >= @from_{i} AND created_at < @to_{i}
                """);
            p.Add(new NpgsqlParameter<DateTime>($"from_{i}", NpgsqlDbType.TimestampTz) { TypedValue = range.From.UtcDateTime });
            p.Add(new NpgsqlParameter<DateTime>($"to_{i}", NpgsqlDbType.TimestampTz) { TypedValue = range.To.UtcDateTime });
        }
        command.CommandText = $"""
            SELECT {groups}, {Saturated("sum(requests)")}, {Saturated("sum(input_tokens)")}, {Saturated("sum(cached_input_tokens)")},
                   {Saturated("sum(output_tokens)")}, {Saturated("sum(reasoning_tokens)")}, {Saturated("sum(cost_micros)")}
            FROM ({string.Join("\nUNION ALL\n", parts)})
                AS usage ({groups}, requests, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros)
            GROUP BY {groups} ORDER BY {string.Join(", ", grouping.Select((_, i) => $"g{i} NULLS LAST"))}
            """;

        var report = new List<UsageGroup>();
        long requests = 0, input = 0, cached = 0, output = 0, reasoning = 0, cost = 0;
        var n = grouping.Count;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var g = new UsageGroup(reader.GetInt64(n), reader.GetInt64(n + 1), reader.GetInt64(n + 2), reader.GetInt64(n + 3),
                reader.GetInt64(n + 4), Micros.ToUsd(reader.GetInt64(n + 5)));
            var values = grouping.Select((d, i) => d.Read(reader, i)).ToArray();
            if (n == 1) g.Fields["group"] = UsageDimensions.AsGroup(values[0]);
            for (var i = 0; i < n; i++) g.Fields[grouping[i].Field()] = values[i];
            report.Add(g);
            requests = SaturatedAdd(requests, g.Requests);
            input = SaturatedAdd(input, g.InputTokens);
            cached = SaturatedAdd(cached, g.CachedInputTokens);
            output = SaturatedAdd(output, g.OutputTokens);
            reasoning = SaturatedAdd(reasoning, g.ReasoningTokens);
            cost = SaturatedAdd(cost, reader.GetInt64(n + 5));
        }
        return new UsageReport(report, new UsageFigures(requests, input, cached, output, reasoning, Micros.ToUsd(cost)));
    }

    /// <summary>Deletes at most <paramref name="batchSize"/> rows older than <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<int> PurgeBatchAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        // Addressing rows by ctid keeps each statement short; no lock beyond the rows it deletes.
        await using var command = dataSource.CreateCommand("""
            DELETE FROM request_logs WHERE ctid IN (
                SELECT ctid FROM request_logs WHERE created_at < @cutoff LIMIT @batch)
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTime>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = cutoff.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int>("batch", NpgsqlDbType.Integer) { TypedValue = batchSize });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AppendFilter(StringBuilder sql, NpgsqlParameterCollection parameters, LogFilter filter)
    {
        AppendIdentityFilter(sql, parameters, filter);
        if (filter.From is { } from)
        {
            sql.Append(" AND created_at >= @from");
            parameters.Add(new NpgsqlParameter<DateTime>("from", NpgsqlDbType.TimestampTz) { TypedValue = from.UtcDateTime });
        }
        if (filter.To is { } to)
        {
            sql.Append(" AND created_at < @to");
            parameters.Add(new NpgsqlParameter<DateTime>("to", NpgsqlDbType.TimestampTz) { TypedValue = to.UtcDateTime });
        }
    }

    /// <summary>Adds figures (never negative) the way <see cref="Saturated"/> sums them in SQL: stopping at long.MaxValue.</summary>
    private static long SaturatedAdd(long sum, long value) => value > long.MaxValue - sum ? long.MaxValue : sum + value;

    /// <summary>
    /// A sum as a bigint that stops at its maximum instead of failing: token counts are what clients and upstreams report,
    /// clamped only below (a row may hold close to long.MaxValue input tokens, and two of them must still add up).
    /// </summary>
    internal static string Saturated(string sum) => $"LEAST({sum}, 9223372036854775807)::bigint";

    /// <summary>The filters other than time, on columns request_logs and usage_daily share.</summary>
    private static void AppendIdentityFilter(StringBuilder sql, NpgsqlParameterCollection parameters, LogFilter filter)
    {
        if (filter.WalletId is { } wallet)
        {
            sql.Append(" AND wallet_id = @wallet_id");
            parameters.Add(new NpgsqlParameter<Guid>("wallet_id", NpgsqlDbType.Uuid) { TypedValue = wallet });
        }
        if (filter.KeyId is { } key)
        {
            sql.Append(" AND key_id = @key_id");
            parameters.Add(new NpgsqlParameter<Guid>("key_id", NpgsqlDbType.Uuid) { TypedValue = key });
        }
        if (filter.Model is { } model)
        {
            sql.Append(" AND model = @model");
            parameters.Add(Text("model", model));
        }
        if (filter.Status is { } status)
        {
            sql.Append(" AND status = @status");
            parameters.Add(new NpgsqlParameter<int>("status", NpgsqlDbType.Integer) { TypedValue = status });
        }
    }

    private static void Add<T>(NpgsqlParameterCollection parameters, string name, NpgsqlDbType type, IEnumerable<T> values) =>
        parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values.ToArray() });

    private static void Add(NpgsqlParameterCollection parameters, string name, NpgsqlDbType type, IEnumerable<string?> values) =>
        parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values.Select(Storable).ToArray() });

    /// <summary>A text filter, spelled as the rows were stored.</summary>
    private static NpgsqlParameter<string> Text(string name, string value) => new(name, NpgsqlDbType.Text) { TypedValue = Storable(value) };

    /// <summary>
    /// PostgreSQL text cannot hold NUL: every text written or compared goes through here, so one NUL in a body does not fail
    /// a whole batch, and a filter (a model, a request id) with a NUL finds what was stored instead of failing the query.
    /// </summary>
    internal static string? Storable(string? text) => text is not null && text.Contains('\0') ? text.Replace('\0', '\uFFFD') : text;

    private static async Task<LogEntry> ReadEntryAsync(NpgsqlDataReader r, CancellationToken ct)
    {
        // SequentialAccess: columns are read in order, so large bodies are never held twice.
        var requestId = await r.GetFieldValueAsync<string>(0, ct);
        var createdAt = await r.GetFieldValueAsync<DateTime>(1, ct);
        var keyId = await NullableAsync<Guid>(r, 2, ct);
        var keyHint = await StringAsync(r, 3, ct);
        var walletId = await NullableAsync<Guid>(r, 4, ct);
        var clientFormat = await r.GetFieldValueAsync<string>(5, ct);
        var route = await r.GetFieldValueAsync<string>(6, ct);
        var model = await StringAsync(r, 7, ct);
        var upstreamProvider = await StringAsync(r, 8, ct);
        var upstreamModel = await StringAsync(r, 9, ct);
        var stream = await r.GetFieldValueAsync<bool>(10, ct);
        var status = await r.GetFieldValueAsync<int>(11, ct);
        var errorCode = await StringAsync(r, 12, ct);
        var input = await r.GetFieldValueAsync<long>(13, ct);
        var cached = await r.GetFieldValueAsync<long>(14, ct);
        var output = await r.GetFieldValueAsync<long>(15, ct);
        var reasoning = await r.GetFieldValueAsync<long>(16, ct);
        var estimated = await r.GetFieldValueAsync<bool>(17, ct);
        var clamped = await r.GetFieldValueAsync<bool>(18, ct);
        var held = await r.GetFieldValueAsync<long>(19, ct);
        var cost = await r.GetFieldValueAsync<long>(20, ct);
        var latency = await r.GetFieldValueAsync<double>(21, ct);
        var ttfb = await NullableAsync<double>(r, 22, ct);
        var ttft = await NullableAsync<double>(r, 23, ct);
        var finish = await StringAsync(r, 24, ct);
        var clientIp = await StringAsync(r, 25, ct);
        var userAgent = await StringAsync(r, 26, ct);
        var storedBytes = await NullableAsync<long>(r, 27, ct);
        var requestBody = await StringAsync(r, 28, ct);
        var responseBody = await StringAsync(r, 29, ct);
        return new LogEntry
        {
            RequestId = requestId, CreatedAt = new DateTimeOffset(createdAt, TimeSpan.Zero), KeyId = keyId, KeyHint = keyHint,
            WalletId = walletId, ClientFormat = clientFormat, Route = route, Model = model, UpstreamProvider = upstreamProvider,
            UpstreamModel = upstreamModel, Stream = stream, Status = status, ErrorCode = errorCode, InputTokens = input,
            CachedInputTokens = cached, OutputTokens = output, ReasoningTokens = reasoning, UsageEstimated = estimated,
            UsageClamped = clamped, HeldUsd = Micros.ToUsd(held), CostUsd = Micros.ToUsd(cost), LatencyMs = latency,
            UpstreamTtfbMs = ttfb, TtftMs = ttft, FinishReason = finish, ClientIp = clientIp, UserAgent = userAgent,
            StoredBytes = storedBytes, RequestBody = requestBody, ResponseBody = responseBody,
        };
    }

    private static async Task<string?> StringAsync(NpgsqlDataReader r, int ordinal, CancellationToken ct) =>
        await r.IsDBNullAsync(ordinal, ct) ? null : await r.GetFieldValueAsync<string>(ordinal, ct);

    private static async Task<T?> NullableAsync<T>(NpgsqlDataReader r, int ordinal, CancellationToken ct) where T : struct =>
        await r.IsDBNullAsync(ordinal, ct) ? null : await r.GetFieldValueAsync<T>(ordinal, ct);
}
