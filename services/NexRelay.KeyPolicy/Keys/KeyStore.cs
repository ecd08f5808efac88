using System.Runtime.CompilerServices;
using System.Text;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using Npgsql;
using NpgsqlTypes;

namespace NexRelay.KeyPolicy.Keys;

/// <summary>
/// A change of a key inside a database transaction: the changed row stays locked until <see cref="CommitAsync"/>, and disposing
/// without committing rolls the change back. It lets <see cref="KeyChangeNotifier"/> announce a change before it commits.
/// </summary>
internal sealed class KeyChange(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    internal NpgsqlCommand CreateCommand(string sql) => new(sql, connection, transaction);

    public Task CommitAsync(CancellationToken ct) => transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>
/// What <c>GET /admin/v1/keys</c> asks for; every condition set must hold. <see cref="Hint"/> is the exact hint shown for a
/// key (<c>nrk_…4f2a</c>), as request logs carry it.
/// </summary>
internal sealed record KeyListFilter(Guid? WalletId, Guid? Id, string? Hint, string? NameContains, string? State);

/// <summary>All SQL over the <c>keys</c> and <c>retired_key_hashes</c> tables.</summary>
internal sealed class KeyStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, wallet_id, name, key_hash, hint, state, allowed_models, max_output_tokens, output_cap_mode, budget_micros,
        budget_period, rpm, tpm, log_bodies, expires_at, version, created_at, updated_at, rotated_at, revoked_at
        """;

    private static readonly string KColumns = string.Join(", ", Columns.Split(',', StringSplitOptions.TrimEntries).Select(c => "k." + c));

    /// <summary>Opens a transaction for one change (update, rotate, revoke); commit it through <see cref="KeyChangeNotifier"/>.</summary>
    public async Task<KeyChange> BeginChangeAsync(CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            return new KeyChange(connection, await connection.BeginTransactionAsync(ct));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<KeyRecord> InsertAsync(Guid id, Guid walletId, string keyHash, string hint, KeySettings settings, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO keys (id, wallet_id, name, key_hash, hint, state, allowed_models, max_output_tokens, output_cap_mode,
                              budget_micros, budget_period, rpm, tpm, log_bodies, expires_at)
            VALUES (@id, @wallet_id, @name, @key_hash, @hint, @state, @allowed_models, @max_output_tokens, @output_cap_mode,
                    @budget_micros, @budget_period, @rpm, @tpm, @log_bodies, @expires_at)
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("wallet_id", walletId);
        command.Parameters.AddWithValue("key_hash", keyHash);
        command.Parameters.AddWithValue("hint", hint);
        AddSettings(command, settings);
        return (await ReadOneAsync(command, ct))!;
    }

    public async Task<KeyRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM keys WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return await ReadOneAsync(command, ct);
    }

    public async Task<KeyRecord?> GetByHashAsync(string keyHash, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM keys WHERE key_hash = @key_hash");
        command.Parameters.AddWithValue("key_hash", keyHash);
        return await ReadOneAsync(command, ct);
    }

    /// <summary>Up to <paramref name="limit"/> keys matching <paramref name="filter"/>, newest first, strictly before <paramref name="before"/>.</summary>
    public async Task<List<KeyRecord>> ListAsync(KeyListFilter filter, CreatedCursor? before, int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM keys WHERE true");
        void Where(string condition, string name, object value)
        {
            sql.Append(" AND ").Append(condition);
            command.Parameters.AddWithValue(name, value);
        }
        if (filter.WalletId is { } walletId) Where("wallet_id = @wallet_id", "wallet_id", walletId);
        if (filter.Id is { } id) Where("id = @id", "id", id);
        if (filter.Hint is { } hint) Where("hint = @hint", "hint", hint);
        if (filter.NameContains is { } name) Where("name ILIKE @name_pattern", "name_pattern", LikePattern.Containing(name));
        if (filter.State is { } state) Where("state = @state", "state", state);
        if (before is { } cursor)
        {
            // A row comparison, so the (…, created_at, id) indexes both filter and order.
            sql.Append(" AND (created_at, id) < (@before_at, @before_id)");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("before_at", NpgsqlDbType.TimestampTz) { TypedValue = cursor.CreatedAt.UtcDateTime });
            command.Parameters.AddWithValue("before_id", cursor.Id);
        }
        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT @limit");
        command.Parameters.AddWithValue("limit", limit);
        command.CommandText = sql.ToString();
        var list = new List<KeyRecord>(limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    /// <summary>Writes new settings if nobody else changed the key since <paramref name="expectedVersion"/> and it is not revoked; null otherwise.</summary>
    public async Task<KeyRecord?> UpdateSettingsAsync(KeyChange change, Guid id, int expectedVersion, KeySettings settings, CancellationToken ct)
    {
        await using var command = change.CreateCommand($"""
            UPDATE keys SET name = @name, state = @state, allowed_models = @allowed_models, max_output_tokens = @max_output_tokens,
                            output_cap_mode = @output_cap_mode, budget_micros = @budget_micros, budget_period = @budget_period,
                            rpm = @rpm, tpm = @tpm, log_bodies = @log_bodies, expires_at = @expires_at,
                            version = version + 1, updated_at = now()
            WHERE id = @id AND version = @version AND state <> 'revoked'
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("version", expectedVersion);
        AddSettings(command, settings);
        return await ReadOneAsync(command, ct);
    }

    /// <summary>
    /// Swaps in a new secret's hash and records the old one in <c>retired_key_hashes</c> (the repair pass rewrites its tombstone);
    /// returns the key and the hash it replaced, or null when unknown or revoked.
    /// </summary>
    public async Task<(KeyRecord Key, string OldHash)?> RotateAsync(KeyChange change, Guid id, string newHash, string newHint, CancellationToken ct)
    {
        await using var command = change.CreateCommand($"""
            WITH old AS (SELECT id, key_hash FROM keys WHERE id = @id AND state <> 'revoked' FOR UPDATE),
            rotated AS (
                UPDATE keys k SET key_hash = @key_hash, hint = @hint, rotated_at = now(), updated_at = now(), version = k.version + 1
                FROM old WHERE k.id = old.id
                RETURNING {KColumns}, old.key_hash AS old_hash),
            retired AS (INSERT INTO retired_key_hashes (key_hash, key_id) SELECT old_hash, id FROM rotated)
            SELECT * FROM rotated
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("key_hash", newHash);
        command.Parameters.AddWithValue("hint", newHint);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return (Read(reader), reader.GetString(reader.GetOrdinal("old_hash")));
    }

    /// <summary>Marks the key revoked (idempotent); null when unknown.</summary>
    public async Task<KeyRecord?> RevokeAsync(KeyChange change, Guid id, CancellationToken ct)
    {
        await using var command = change.CreateCommand($"""
            UPDATE keys SET state = 'revoked', revoked_at = coalesce(revoked_at, now()), updated_at = now(), version = version + 1
            WHERE id = @id
            RETURNING {Columns}
            """);
        command.Parameters.AddWithValue("id", id);
        return await ReadOneAsync(command, ct);
    }

    /// <summary>Keys changed in the last <paramref name="window"/>: the ones whose Redis snapshot may still be stale.</summary>
    public async IAsyncEnumerable<KeyRecord> ChangedWithinAsync(TimeSpan window, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM keys WHERE updated_at >= now() - @window");
        command.Parameters.AddWithValue("window", window);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return Read(reader);
    }

    /// <summary>Hashes a rotation retired in the last <paramref name="window"/>, each with the key it belonged to.</summary>
    public async IAsyncEnumerable<(string RetiredHash, KeyRecord Key)> RetiredWithinAsync(TimeSpan window, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT r.key_hash AS retired_hash, {KColumns}
            FROM retired_key_hashes r JOIN keys k ON k.id = r.key_id
            WHERE r.retired_at >= now() - @window
            """);
        command.Parameters.AddWithValue("window", window);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return (reader.GetString(reader.GetOrdinal("retired_hash")), Read(reader));
    }

    private static void AddSettings(NpgsqlCommand command, KeySettings s)
    {
        command.Parameters.AddWithValue("name", s.Name);
        command.Parameters.AddWithValue("state", s.Disabled ? KeyStates.Disabled : KeyStates.Active);
        command.Parameters.Add(new NpgsqlParameter("allowed_models", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = s.AllowedModels.ToArray() });
        command.Parameters.Add(new NpgsqlParameter("max_output_tokens", NpgsqlDbType.Integer) { Value = (object?)s.MaxOutputTokens ?? DBNull.Value });
        command.Parameters.AddWithValue("output_cap_mode", s.OutputCapMode);
        command.Parameters.Add(new NpgsqlParameter("budget_micros", NpgsqlDbType.Bigint) { Value = (object?)s.BudgetMicros ?? DBNull.Value });
        command.Parameters.AddWithValue("budget_period", s.BudgetPeriod);
        command.Parameters.Add(new NpgsqlParameter("rpm", NpgsqlDbType.Integer) { Value = (object?)s.Rpm ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("tpm", NpgsqlDbType.Integer) { Value = (object?)s.Tpm ?? DBNull.Value });
        command.Parameters.AddWithValue("log_bodies", s.LogBodies);
        command.Parameters.Add(new NpgsqlParameter("expires_at", NpgsqlDbType.TimestampTz) { Value = (object?)s.ExpiresAt ?? DBNull.Value });
    }

    private static async Task<KeyRecord?> ReadOneAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static KeyRecord Read(NpgsqlDataReader r)
    {
        int? NullableInt(string c) => r.IsDBNull(r.GetOrdinal(c)) ? null : r.GetInt32(r.GetOrdinal(c));
        DateTimeOffset? NullableTime(string c) => r.IsDBNull(r.GetOrdinal(c)) ? null : r.GetFieldValue<DateTimeOffset>(r.GetOrdinal(c));
        var state = r.GetString(r.GetOrdinal("state"));
        return new KeyRecord
        {
            Id = r.GetGuid(r.GetOrdinal("id")),
            WalletId = r.GetGuid(r.GetOrdinal("wallet_id")),
            KeyHash = r.GetString(r.GetOrdinal("key_hash")),
            Hint = r.GetString(r.GetOrdinal("hint")),
            State = state,
            Version = r.GetInt32(r.GetOrdinal("version")),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(r.GetOrdinal("created_at")),
            UpdatedAt = r.GetFieldValue<DateTimeOffset>(r.GetOrdinal("updated_at")),
            RotatedAt = NullableTime("rotated_at"),
            RevokedAt = NullableTime("revoked_at"),
            Settings = new KeySettings
            {
                Name = r.GetString(r.GetOrdinal("name")),
                AllowedModels = r.GetFieldValue<string[]>(r.GetOrdinal("allowed_models")),
                MaxOutputTokens = NullableInt("max_output_tokens"),
                OutputCapMode = r.GetString(r.GetOrdinal("output_cap_mode")),
                BudgetMicros = r.IsDBNull(r.GetOrdinal("budget_micros")) ? null : r.GetInt64(r.GetOrdinal("budget_micros")),
                BudgetPeriod = r.GetString(r.GetOrdinal("budget_period")),
                Rpm = NullableInt("rpm"),
                Tpm = NullableInt("tpm"),
                LogBodies = r.GetBoolean(r.GetOrdinal("log_bodies")),
                ExpiresAt = NullableTime("expires_at"),
                Disabled = state == KeyStates.Disabled,
            },
        };
    }
}
