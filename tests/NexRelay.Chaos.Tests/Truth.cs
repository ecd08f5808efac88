using Npgsql;
using NexRelay.Testing;

namespace NexRelay.Chaos.Tests;

/// <summary>What one scenario's checks found, for the report.</summary>
public sealed record Verdict(int Requests, int Completed, int Charged, int Logged, int Lost, int Duplicated, long Overspend, TimeSpan Recovery,
    IReadOnlyList<string> Violations);

/// <summary>
/// The invariant checker: reads billing's and logging's databases (not the edge's counters) and checks, for the scenario's
/// tenants, everything issue 17 lists: available never below zero, debit = Σ captures = Σ logged costs, nothing left
/// reserved, one log row per request, every request a client saw complete charged and logged once, no charge above its hold,
/// nothing that reached an upstream free unless refused, and no secret in clear.
/// </summary>
public sealed class Truth(ChaosCluster cluster)
{
    // No pooling: a scenario restarts PostgreSQL, and a pooled connection would outlive it broken.
    private NpgsqlConnection Billing() => new(TestInfrastructure.PostgresDatabase(cluster.BillingDb) + ";Pooling=false");
    private NpgsqlConnection Logging() => new(TestInfrastructure.PostgresDatabase(cluster.LoggingDb) + ";Pooling=false");

    public async Task<long> LowestAvailableAsync()
    {
        await using var db = Billing();
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(min(balance - reserved), 0) FROM wallets", db);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Holds, credit leases and hold entries ever placed against a wallet: none for a wallet whose requests were all refused.</summary>
    public async Task<long> HoldsPlacedAsync(Guid wallet)
    {
        await using var db = Billing();
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM holds WHERE wallet_id = $1) + (SELECT count(*) FROM leases WHERE wallet_id = $1)
                 + (SELECT count(*) FROM ledger_entries WHERE wallet_id = $1 AND kind = 'hold')
            """, db);
        command.Parameters.Add(new NpgsqlParameter { Value = wallet });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Log rows of a wallet so far.</summary>
    public async Task<long> LoggedAsync(Guid wallet)
    {
        await using var db = Logging();
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM request_logs WHERE wallet_id = $1", db);
        command.Parameters.Add(new NpgsqlParameter { Value = wallet });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Waits until the scenario's wallets hold nothing reserved and every request a client saw complete has its log row, then
    /// checks every invariant. Returns the verdict (the caller asserts no violations, after reporting).
    /// </summary>
    public async Task<Verdict> CheckAsync(IReadOnlyCollection<ClientRecord> records, IReadOnlyList<Tenant> tenants, long lowestAvailableSampled,
        TimeSpan settleLimit, IEnumerable<string>? secrets = null)
    {
        var wallets = tenants.Select(t => t.WalletId).Distinct().ToArray();
        var completed = records.Where(r => r.Complete && r.RequestId is not null).Select(r => r.RequestId!).ToHashSet(StringComparer.Ordinal);
        var violations = new List<string>();

        // Recovery: everything settled and logged (reservations are renewed while requests run, released by the sweep after).
        var recovery = TimeSpan.Zero;
        try
        {
            recovery = await Timing.UntilAsync(async () =>
                await ReservedAsync(wallets) == 0 && (await LoggedAsync(completed)).Count == completed.Count, settleLimit, "settled and logged");
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            violations.Add(ex.Message + $": reserved {await ReservedAsync(wallets)}, logged {(await LoggedAsync(completed)).Count} of {completed.Count} completed");
        }

        await using var billing = Billing();
        await billing.OpenAsync();
        await using var logging = Logging();
        await logging.OpenAsync();

        // Per wallet: credits - balance = Σ captures = Σ logged cost; available ≥ 0.
        var rows = await QueryAsync(logging, """
            SELECT request_id, wallet_id, status, coalesce(error_code, ''), coalesce(upstream_provider, ''), held_micros, cost_micros, usage_estimated
            FROM request_logs WHERE wallet_id = ANY($1)
            """, wallets, r => new LogRow(r.GetString(0), r.GetGuid(1), r.GetInt32(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetInt64(6), r.GetBoolean(7)));
        var captures = await QueryAsync(billing, """
            SELECT coalesce(request_id, ''), wallet_id, amount, flags FROM ledger_entries WHERE kind = 'capture' AND wallet_id = ANY($1)
            """, wallets, r => (RequestId: r.GetString(0), Wallet: r.GetGuid(1), Amount: r.GetInt64(2), Flags: r.GetFieldValue<string[]>(3)));
        Task<List<(Guid Wallet, long Balance, long Reserved, long Credits)>> BalancesAsync() => QueryAsync(billing, """
            SELECT w.id, w.balance, w.reserved, coalesce((SELECT sum(amount) FROM ledger_entries c WHERE c.wallet_id = w.id AND c.kind = 'credit'), 0)
            FROM wallets w WHERE w.id = ANY($1)
            """, wallets, r => (Wallet: r.GetGuid(0), Balance: r.GetInt64(1), Reserved: r.GetInt64(2), Credits: r.GetInt64(3)));
        var balances = await BalancesAsync();
        if (balances.Any(b => b.Reserved != 0))
        {
            // Reserved again after it was zero: a hold billing committed late, after the edge had given up on the call (a 503
            // or 504 to the client) and published that request's compensation, a settlement at zero that has not reached
            // billing yet. One full run caught 120 reserved this way right after the recovery look. It must be released
            // within the same limit, by that settlement or the sweep; then the books are read again.
            try
            {
                await Timing.UntilAsync(async () => await ReservedAsync(wallets) == 0, settleLimit, "released again");
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                violations.Add(ex.Message);
            }
            balances = await BalancesAsync();
        }
        long overspend = 0;
        if (lowestAvailableSampled < 0) { overspend += -lowestAvailableSampled; violations.Add($"a wallet's available balance was {lowestAvailableSampled} during the run"); }
        foreach (var (wallet, balance, reserved, credits) in balances)
        {
            if (balance - reserved < 0) { overspend += reserved - balance; violations.Add($"wallet {wallet}: available {balance - reserved} < 0"); }
            var debit = credits - balance;
            var captured = captures.Where(c => c.Wallet == wallet).Sum(c => c.Amount);
            var logged = rows.Where(r => r.Wallet == wallet).Sum(r => r.Cost);
            if (debit != captured) violations.Add($"wallet {wallet}: debit {debit} ≠ Σ captures {captured}");
            if (captured != logged) violations.Add($"wallet {wallet}: Σ captures {captured} ≠ Σ logged cost {logged}");
            if (reserved != 0) violations.Add($"wallet {wallet}: {reserved} still reserved after the sweep");
        }
        foreach (var uncollected in captures.Where(c => c.Flags.Contains("uncollected")))
        {
            violations.Add($"request {uncollected.RequestId}: part of its cost went uncollected");
        }

        // One log row and at most one capture per request id; each completed request logged and (if it cost anything) captured once.
        var duplicated = captures.GroupBy(c => c.RequestId).Count(g => g.Count() > 1);
        var byId = rows.ToDictionary(r => r.RequestId, StringComparer.Ordinal);
        var capturedIds = captures.Select(c => c.RequestId).ToHashSet(StringComparer.Ordinal);
        var lost = 0;
        foreach (var id in completed)
        {
            if (!byId.TryGetValue(id, out var row)) { lost++; violations.Add($"completed request {id} has no log row"); continue; }
            if (row.Cost > 0 && !capturedIds.Contains(id)) { lost++; violations.Add($"completed request {id} cost {row.Cost} but was never captured"); }
            if (row.Status != 200) violations.Add($"completed request {id} logged as {row.Status}");
        }
        foreach (var row in rows)
        {
            if (row.Cost > row.Held) { overspend += row.Cost - row.Held; violations.Add($"request {row.RequestId} charged {row.Cost} above its hold {row.Held}"); }
            // Reached an upstream (named), not refused by it (a 200, or a client that left), yet free.
            if (row.Upstream.Length > 0 && row.Cost == 0 && row.Held > 0 && (row.Status == 200 || row.ErrorCode == "client_closed_request"))
                violations.Add($"request {row.RequestId} reached {row.Upstream} ({row.Status} {row.ErrorCode}) and was free");
        }

        if (secrets is not null) violations.AddRange(await SecretsInClearAsync(secrets.ToArray()));
        violations.AddRange(await cluster.Secrets.DrainAsync());
        // A watch that saw nothing proves nothing.
        if (cluster.Secrets.LogLines == 0) violations.Add("no service log line reached the secret watch");
        if (cluster.Secrets.TelemetryBytes == 0) violations.Add("no exported telemetry reached the secret watch");
        if (cluster.Secrets.BrokerMessages == 0) violations.Add("no RabbitMQ message reached the secret watch");

        var charged = rows.Count(r => r.Cost > 0);
        return new Verdict(records.Count, completed.Count, charged, rows.Count, lost, duplicated, overspend, recovery, violations);
    }

    /// <summary>Every table of the three databases, and the edges' spool and journal files, searched for each secret.</summary>
    public async Task<List<string>> SecretsInClearAsync(string[] secrets)
    {
        var found = new List<string>();
        foreach (var database in new[] { cluster.BillingDb, cluster.KeyPolicyDb, cluster.LoggingDb })
        {
            await using var db = new NpgsqlConnection(TestInfrastructure.PostgresDatabase(database) + ";Pooling=false");
            await db.OpenAsync();
            var tables = await QueryAsync(db, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
                null, r => r.GetString(0));
            foreach (var table in tables)
            {
                await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table} t WHERE strpos(t::text, $1) > 0", db);
                var parameter = command.Parameters.Add(new NpgsqlParameter { Value = "" });
                foreach (var secret in secrets)
                {
                    parameter.Value = secret;
                    if ((long)(await command.ExecuteScalarAsync())! > 0) found.Add($"a secret ({secret[..Math.Min(8, secret.Length)]}…) in clear in {database}.{table}");
                }
            }
        }
        foreach (var url in cluster.EdgeUrls)
        {
            var spool = Path.Combine(cluster.SpoolRoot, $"edge-{url.Port}");
            if (!Directory.Exists(spool)) continue;
            foreach (var file in Directory.EnumerateFiles(spool, "*", SearchOption.AllDirectories))
            {
                var text = await File.ReadAllTextAsync(file);
                foreach (var secret in secrets.Where(s => text.Contains(s, StringComparison.Ordinal))) found.Add($"a secret ({secret[..8]}…) in clear in {file}");
            }
        }
        return found;
    }

    /// <summary>The most any of the key's budget buckets has spent and reserved.</summary>
    public async Task<long> KeyBudgetUseAsync(Guid keyId)
    {
        await using var db = Billing();
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(max(spent + reserved), 0)::bigint FROM key_budgets WHERE key_id = $1", db);
        command.Parameters.Add(new NpgsqlParameter { Value = keyId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> ReservedAsync(Guid[] wallets)
    {
        await using var db = Billing();
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(reserved), 0)::bigint FROM wallets WHERE id = ANY($1)", db);
        command.Parameters.Add(new NpgsqlParameter { Value = wallets });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<HashSet<string>> LoggedAsync(HashSet<string> ids)
    {
        await using var db = Logging();
        await db.OpenAsync();
        return [.. await QueryAsync(db, "SELECT request_id FROM request_logs WHERE request_id = ANY($1)", ids.ToArray(), r => r.GetString(0))];
    }

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection db, string sql, object? parameter, Func<NpgsqlDataReader, T> read)
    {
        await using var command = new NpgsqlCommand(sql, db);
        if (parameter is not null) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        var list = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) list.Add(read(reader));
        return list;
    }

    private sealed record LogRow(string RequestId, Guid Wallet, int Status, string ErrorCode, string Upstream, long Held, long Cost, bool Estimated);
}
