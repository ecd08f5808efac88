using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using NexRelay.Contracts.Billing;
using NexRelay.Contracts.Messages;
using NexRelay.Testing;
using Npgsql;
using NexRelay.ServiceDefaults.Internal;
using NexRelay.ServiceDefaults.Messaging.DeadLetters;

namespace NexRelay.Billing.Tests;

/// <summary>
/// One billing service on its own fresh database, the real RabbitMQ (a unique, auto-deleted settlement queue), real HTTP.
/// <see cref="AssertInvariantsAsync"/> is the one check every scenario ends with.
/// </summary>
public class BillingFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-0123456789";
    public const string InternalToken = "test-internal-token-0123456789";
    /// <summary>What redemption codes are hashed with (billing shares the API keys' secret).</summary>
    public const string KeyHashSecret = "test-key-hash-secret-0123456789abcdef";
    public static readonly JsonSerializerOptions SnakeJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private ServiceFactory<Program>? _factory;
    private readonly ConsumeCounter _consumed = new();

    public string Database { get; private set; } = "";
    public string SettlementQueue { get; } = $"settle-request-test-{Guid.NewGuid():N}";
    public HttpClient Client { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public ServiceFactory<Program> Factory => _factory!;
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Started just before the service was.</summary>
    public System.Diagnostics.Stopwatch StartedAt { get; private set; } = new();

    /// <summary>A plain HttpClient on the real loopback port Kestrel bound, as the edge would reach billing.</summary>
    /// <summary>A client as the edge is one: it carries the internal token (/internal/* needs it; admin calls ignore it).</summary>
    public HttpClient NewClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add(InternalAuth.HeaderName, InternalToken);
        return client;
    }

    private static Uri ServerAddress(ServiceFactory<Program> factory)
    {
        var addresses = factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => !a.EndsWith(":0", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Kestrel reported no bound address: " + string.Join(",", addresses));
        return new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }

    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    /// <summary>Registrations that replace the service's own (after them).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        Database = await TestInfrastructure.CreateDatabaseAsync("billing");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:billingdb"] = TestInfrastructure.PostgresDatabase(Database),
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq,
            ["NexRelay:AdminToken"] = AdminToken,
            ["NexRelay:InternalToken"] = InternalToken,
            ["NexRelay:KeyHashSecret"] = KeyHashSecret,
            ["Billing:SettlementQueue"] = SettlementQueue,
            ["Billing:SettlementQueueTemporary"] = "true",
        };
        foreach (var (key, value) in ExtraSettings) settings[key] = value;
        StartedAt = System.Diagnostics.Stopwatch.StartNew();
        _factory = new ServiceFactory<Program>(settings, ConfigureServices);
        _factory.StartServer();
        BaseAddress = ServerAddress(_factory);
        Client = NewClient();
        Admin = NewClient();
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        _factory.Services.GetRequiredService<IBus>().ConnectConsumeMessageObserver<RequestCompletedJson>(_consumed);
        _factory.Services.GetRequiredService<IBus>().ConnectConsumeMessageObserver<RequestsCompletedJson>(_consumed);
        await WaitForHealthyAsync();
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        await TestInfrastructure.DropDatabaseAsync(Database);
    }

    /// <summary>/health includes the bus: once healthy, the settlement queue exists and is consumed.</summary>
    private async Task WaitForHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Client.GetAsync("/health");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && last.Contains("\"status\":\"Healthy\"", StringComparison.Ordinal)) return;
            await Task.Delay(200);
        }
        throw new TimeoutException("Billing did not become healthy: " + last);
    }

    public NpgsqlConnection OpenDb()
    {
        var connection = new NpgsqlConnection(TestInfrastructure.PostgresDatabase(Database));
        connection.Open();
        return connection;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = OpenDb();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = OpenDb();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        var result = await command.ExecuteScalarAsync();
        return (T)result!;
    }

    // ---- helpers through the real HTTP API ----

    public async Task<Guid> CreateWalletAsync(long creditMicros = 0)
    {
        using var response = await Admin.PostAsJsonAsync("/admin/v1/wallets", new { name = "test wallet" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        if (creditMicros > 0) await CreditAsync(id, creditMicros);
        return id;
    }

    public async Task CreditAsync(Guid walletId, long micros, string? reference = null)
    {
        using var response = await Admin.PostAsJsonAsync($"/admin/v1/wallets/{walletId}/credits",
            new { amount_usd = micros / 1_000_000m, reference = reference ?? Guid.NewGuid().ToString() });
        response.EnsureSuccessStatusCode();
    }

    public async Task<(int Status, HoldResponse Body)> HoldAsync(HoldRequest request)
    {
        using var response = await Client.PostAsJsonAsync("/internal/holds", request);
        var body = await response.Content.ReadFromJsonAsync<HoldResponse>();
        return ((int)response.StatusCode, body!);
    }

    public static HoldRequest Hold(Guid walletId, long amount, Guid? keyId = null, long? budget = null, string? requestId = null) => new()
    {
        RequestId = requestId ?? "req_" + Guid.NewGuid().ToString("N"),
        WalletId = walletId,
        KeyId = keyId ?? Guid.NewGuid(),
        AmountMicros = amount,
        BudgetMicros = budget,
    };

    public async Task<(int Status, LeaseResponse? Body)> OpenLeaseAsync(LeaseRequest request)
    {
        using var response = await Client.PostAsJsonAsync("/internal/leases", request);
        var body = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<LeaseResponse>() : null;
        return ((int)response.StatusCode, body);
    }

    public async Task<LeaseResponse> GrantedLeaseAsync(LeaseRequest request)
    {
        var (status, body) = await OpenLeaseAsync(request);
        Assert.Equal(200, status);
        Assert.True(body!.Granted, $"lease {request.LeaseId} granted (shortfall {body.Shortfall}, available {body.AvailableMicros})");
        return body;
    }

    public async Task<(int Status, LeaseCloseResponse? Body)> CloseLeaseAsync(string leaseId, long spentMicros)
    {
        using var response = await Client.PostAsJsonAsync($"/internal/leases/{Uri.EscapeDataString(leaseId)}/close",
            new LeaseCloseRequest { SpentMicros = spentMicros });
        var body = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<LeaseCloseResponse>() : null;
        return ((int)response.StatusCode, body);
    }

    public static LeaseRequest Lease(Guid walletId, long target, long minimum = 1, Guid? keyId = null, long? budget = null,
        int divisor = 1, int reserveSeconds = 60, string? leaseId = null) => new()
    {
        LeaseId = leaseId ?? "lease_" + Guid.NewGuid().ToString("N"),
        WalletId = walletId,
        KeyId = keyId ?? Guid.NewGuid(),
        TargetMicros = target,
        MinimumMicros = minimum,
        ShareDivisor = divisor,
        BudgetMicros = budget,
        ReserveSeconds = reserveSeconds,
    };

    /// <summary>A request the edge held in memory against <paramref name="lease"/>.</summary>
    public static RequestCompleted LeasedCompleted(LeaseRequest lease, long costMicros, string? requestId = null, long heldMicros = 50_000) => new()
    {
        RequestId = requestId ?? "req_" + Guid.NewGuid().ToString("N"),
        CreatedAt = DateTimeOffset.UtcNow,
        KeyId = lease.KeyId,
        WalletId = lease.WalletId,
        ClientFormat = "openai-chat",
        Route = "/v1/chat/completions",
        Status = 200,
        HeldMicros = heldMicros,
        CostMicros = costMicros,
        LeaseId = lease.LeaseId,
    };

    public async Task<(long Granted, long Held, long Captured, string State)> LeaseRowAsync(string leaseId)
    {
        await using var connection = OpenDb();
        await using var command = new NpgsqlCommand("SELECT granted, held, captured, state FROM leases WHERE lease_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = leaseId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"lease {leaseId} exists");
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3));
    }

    public async Task<(long Spent, long Reserved)> BucketAsync(Guid keyId, string periodKey = "total")
    {
        await using var connection = OpenDb();
        await using var command = new NpgsqlCommand("SELECT spent, reserved FROM key_budgets WHERE key_id = $1 AND period_key = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = keyId });
        command.Parameters.Add(new NpgsqlParameter { Value = periodKey });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    public Task<long> LedgerCountAsync(Guid walletId) =>
        ScalarAsync<long>("SELECT count(*) FROM ledger_entries WHERE wallet_id = $1", walletId);

    public async Task<(long Balance, long Reserved)> WalletAsync(Guid walletId)
    {
        await using var connection = OpenDb();
        await using var command = new NpgsqlCommand("SELECT balance, reserved FROM wallets WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = walletId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"wallet {walletId} exists");
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    // ---- settlement through RabbitMQ ----

    /// <summary>Sends to this fixture's own settlement queue (through RabbitMQ), so other test runs' consumers never see it.</summary>
    public async Task SendSettlementAsync(RequestCompleted message)
    {
        var endpoint = await SettlementEndpointAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await endpoint.Send(message, timeout.Token);
    }

    /// <summary>Sends the requests in one <see cref="RequestsCompleted"/> envelope, as the edge does, to this fixture's own queue.</summary>
    public async Task SendSettlementsAsync(params RequestCompleted[] requests)
    {
        var endpoint = await SettlementEndpointAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await endpoint.Send(new RequestsCompleted { Requests = requests }, timeout.Token);
    }

    // The endpoint's own exchange (same name as its queue, declared with the same temporary flags), so the send does not
    // re-declare the auto-deleted queue with different properties.
    private Task<ISendEndpoint> SettlementEndpointAsync() => Factory.Services.GetRequiredService<IBus>()
        .GetSendEndpoint(new Uri($"exchange:{SettlementQueue}?durable=false&autodelete=true"));

    public static RequestCompleted Completed(HoldRequest hold, long costMicros) => new()
    {
        RequestId = hold.RequestId,
        CreatedAt = DateTimeOffset.UtcNow,
        KeyId = hold.KeyId,
        WalletId = hold.WalletId,
        ClientFormat = "openai-chat",
        Route = "/v1/chat/completions",
        Status = 200,
        HeldMicros = hold.AmountMicros,
        CostMicros = costMicros,
    };

    /// <summary>Waits until <paramref name="count"/> deliveries naming the request were consumed, single messages and envelope items alike.</summary>
    public Task WaitForConsumedAsync(string requestId, int count) => _consumed.WaitAsync(requestId, count, TimeSpan.FromSeconds(30));

    // ---- the invariants ----

    /// <summary>
    /// Every wallet's balance and reserved equal the sums of its ledger entries and every entry's running totals match;
    /// available ≥ 0; each request id has at most one hold and one capture; capture ≤ hold; reserved equals the open holds plus
    /// the leases' outstanding reserves; budget buckets equal their holds' and leases' reserved and captured amounts; each
    /// lease's ledger entries add up to its figures.
    /// </summary>
    public async Task AssertInvariantsAsync()
    {
        await using var connection = OpenDb();
        async Task<List<string>> Violations(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<string>();
            while (await reader.ReadAsync())
            {
                var values = new object[reader.FieldCount];
                reader.GetValues(values);
                rows.Add(string.Join(", ", values));
            }
            return rows;
        }

        var checks = new Dictionary<string, string>
        {
            ["wallet = sum of its ledger"] = """
                SELECT w.id, w.balance, w.reserved, coalesce(sum(e.balance_delta), 0), coalesce(sum(e.reserved_delta), 0)
                FROM wallets w LEFT JOIN ledger_entries e ON e.wallet_id = w.id
                GROUP BY w.id HAVING w.balance <> coalesce(sum(e.balance_delta), 0) OR w.reserved <> coalesce(sum(e.reserved_delta), 0)
                """,
            ["available >= 0"] = "SELECT id, balance, reserved FROM wallets WHERE balance - reserved < 0 OR reserved < 0",
            ["ledger running totals"] = """
                SELECT id, wallet_id FROM (
                    SELECT id, wallet_id, balance_after, reserved_after,
                        sum(balance_delta) OVER (PARTITION BY wallet_id ORDER BY id) AS b,
                        sum(reserved_delta) OVER (PARTITION BY wallet_id ORDER BY id) AS r
                    FROM ledger_entries) x
                WHERE b <> balance_after OR r <> reserved_after OR balance_after - reserved_after < 0
                """,
            ["at most one hold per request"] = "SELECT request_id, count(*) FROM ledger_entries WHERE kind = 'hold' GROUP BY request_id HAVING count(*) > 1",
            ["at most one capture per request"] = "SELECT request_id, count(*) FROM ledger_entries WHERE kind = 'capture' GROUP BY request_id HAVING count(*) > 1",
            ["capture <= hold"] = """
                SELECT h.request_id, h.amount, e.amount FROM holds h JOIN ledger_entries e ON e.request_id = h.request_id AND e.kind = 'capture'
                WHERE e.amount > h.amount OR e.amount <> h.captured
                """,
            ["every hold row has one hold entry"] = """
                SELECT h.request_id FROM holds h LEFT JOIN ledger_entries e ON e.request_id = h.request_id AND e.kind = 'hold'
                WHERE e.id IS NULL OR e.amount <> h.amount
                """,
            ["reserved = open holds + lease reserves"] = """
                SELECT w.id, w.reserved, coalesce(h.s, 0), coalesce(l.s, 0) FROM wallets w
                LEFT JOIN (SELECT wallet_id, sum(amount) AS s FROM holds WHERE state = 'held' GROUP BY wallet_id) h ON h.wallet_id = w.id
                LEFT JOIN (SELECT wallet_id, sum(held - captured) AS s FROM leases GROUP BY wallet_id) l ON l.wallet_id = w.id
                WHERE w.reserved <> coalesce(h.s, 0) + coalesce(l.s, 0)
                """,
            // A bucket's reserved = its open holds + its leases' outstanding reserves; its spent = its holds' captures + every
            // capture (from the reserve or late) charged to one of its leases.
            ["budget buckets = their holds and leases"] = """
                WITH parts AS (
                    SELECT key_id, budget_period_key AS period_key,
                        CASE WHEN state = 'held' THEN amount ELSE 0 END AS reserved,
                        CASE WHEN state IN ('settled', 'released') THEN captured ELSE 0 END AS spent
                    FROM holds
                    UNION ALL
                    SELECT key_id, budget_period_key, held - captured, 0 FROM leases
                    UNION ALL
                    SELECT l.key_id, l.budget_period_key, 0, e.amount
                    FROM ledger_entries e JOIN leases l ON l.lease_id = e.reference WHERE e.kind = 'capture')
                SELECT b.key_id, b.period_key, b.spent, b.reserved, coalesce(sum(p.spent), 0), coalesce(sum(p.reserved), 0)
                FROM key_budgets b LEFT JOIN parts p ON p.key_id = b.key_id AND p.period_key = b.period_key
                GROUP BY b.key_id, b.period_key, b.spent, b.reserved
                HAVING b.reserved <> coalesce(sum(p.reserved), 0) OR b.spent <> coalesce(sum(p.spent), 0)
                """,
            ["budget never over its limit"] = """
                SELECT b.key_id, b.period_key FROM key_budgets b
                JOIN (SELECT key_id, budget_period_key, min(budget_limit) AS lim
                      FROM (SELECT key_id, budget_period_key, budget_limit FROM holds
                            UNION ALL SELECT key_id, budget_period_key, budget_limit FROM leases) x
                      WHERE budget_limit IS NOT NULL GROUP BY key_id, budget_period_key) h
                    ON h.key_id = b.key_id AND h.budget_period_key = b.period_key
                WHERE b.spent + b.reserved > h.lim
                """,
            ["every lease has one hold entry of its grant"] = """
                SELECT l.lease_id FROM leases l
                LEFT JOIN ledger_entries e ON e.request_id = l.lease_id AND e.kind = 'hold' AND e.wallet_id = l.wallet_id
                WHERE e.id IS NULL OR e.amount <> l.granted
                """,
            ["lease held = its grant minus its releases"] = """
                SELECT l.lease_id, l.granted, l.held FROM leases l
                LEFT JOIN (SELECT request_id, sum(amount) AS s FROM ledger_entries WHERE kind = 'release' GROUP BY request_id) r
                    ON r.request_id = l.lease_id
                WHERE l.granted - coalesce(r.s, 0) <> l.held
                """,
            ["lease captured = the reserve part of its captures"] = """
                SELECT l.lease_id, l.captured FROM leases l
                LEFT JOIN (SELECT reference, sum(-reserved_delta) AS s FROM ledger_entries WHERE kind = 'capture' GROUP BY reference) c
                    ON c.reference = l.lease_id
                WHERE l.captured <> coalesce(c.s, 0)
                """,
        };
        foreach (var (name, sql) in checks)
        {
            var violations = await Violations(sql);
            Assert.True(violations.Count == 0, $"Invariant '{name}' violated: {string.Join(" | ", violations)}");
        }
    }

    /// <summary>
    /// Counts consumed deliveries per request id: one per single message, one per item of an envelope (the consumer reads
    /// both as JSON, event by event, so these are the message types it consumes).
    /// </summary>
    private sealed class ConsumeCounter : IConsumeMessageObserver<RequestCompletedJson>, IConsumeMessageObserver<RequestsCompletedJson>
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();

        public Task PreConsume(ConsumeContext<RequestCompletedJson> context) => Task.CompletedTask;

        public Task PostConsume(ConsumeContext<RequestCompletedJson> context)
        {
            Count(context.Message.Json);
            return Task.CompletedTask;
        }

        public Task ConsumeFault(ConsumeContext<RequestCompletedJson> context, Exception exception) => Task.CompletedTask;

        public Task PreConsume(ConsumeContext<RequestsCompletedJson> context) => Task.CompletedTask;

        public Task PostConsume(ConsumeContext<RequestsCompletedJson> context)
        {
            foreach (var request in context.Message.Requests ?? []) Count(request);
            return Task.CompletedTask;
        }

        public Task ConsumeFault(ConsumeContext<RequestsCompletedJson> context, Exception exception) => Task.CompletedTask;

        private void Count(JsonElement request)
        {
            if (RequestEvents.RequestIdOf(request) is { } id) _counts.AddOrUpdate(id, 1, (_, n) => n + 1);
        }

        public async Task WaitAsync(string requestId, int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_counts.GetValueOrDefault(requestId) < count)
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"{requestId}: consumed {_counts.GetValueOrDefault(requestId)} of {count} deliveries.");
                await Task.Delay(50);
            }
        }
    }
}

/// <summary>A billing service that collects settlement batches for up to half a second, two batches in flight.</summary>
public sealed class SlowBatchFixture : BillingFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Billing:SettlementBatchMilliseconds"] = "500",
        ["Billing:SettlementBatchSize"] = "50",
        ["Billing:SettlementConcurrency"] = "2",
    };
}

/// <summary>A billing service whose holds expire after one second, swept every second.</summary>
public sealed class ShortHoldTimeoutFixture : BillingFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Billing:HoldTimeoutSeconds"] = "1",
        ["Billing:ExpirySweepSeconds"] = "1",
        ["Billing:ExpiryStartGraceSeconds"] = "0",
    };
}

/// <summary>
/// Holds expire after six seconds: renewal tests renew every 300 ms, twenty times per timeout, so only a stall of more than
/// five seconds between two renewals could expire what they renew (a three-second timeout once expired a lease in a CI run
/// where the billing and edge suites shared two cores).
/// </summary>
public sealed class RenewalTimeoutFixture : BillingFixture
{
    public const int TimeoutSeconds = 6;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Billing:HoldTimeoutSeconds"] = TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Billing:ExpirySweepSeconds"] = "1",
        ["Billing:ExpiryStartGraceSeconds"] = "0",
    };
}

/// <summary>Holds expire after one second, but the sweeper releases nothing in billing's first ten seconds.</summary>
public sealed class StartGraceFixture : BillingFixture
{
    public const int GraceSeconds = 10;

    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Billing:HoldTimeoutSeconds"] = "1",
        ["Billing:ExpirySweepSeconds"] = "1",
        ["Billing:ExpiryStartGraceSeconds"] = GraceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>A billing service whose clock the test sets (<see cref="Clock"/>): budget days and months turn when the test says.</summary>
public sealed class ManualClockFixture : BillingFixture
{
    public ManualClock Clock { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

/// <summary>A clock that stands still until set; safe to read from many threads while a test moves it.</summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);
}
