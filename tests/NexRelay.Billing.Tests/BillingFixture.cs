using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using NexRelay.Contracts.Billing;
using NexRelay.Contracts.Messages;
using NexRelay.Testing;
using Npgsql;

namespace NexRelay.Billing.Tests;

/// <summary>
/// One billing service on its own fresh database, the real RabbitMQ (a unique, auto-deleted settlement queue), real HTTP.
/// <see cref="AssertInvariantsAsync"/> is the one check every scenario ends with.
/// </summary>
public class BillingFixture : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-0123456789";
    public static readonly JsonSerializerOptions SnakeJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private ServiceFactory<Program>? _factory;
    private readonly ConsumeCounter _consumed = new();

    public string Database { get; private set; } = "";
    public string SettlementQueue { get; } = $"settle-request-test-{Guid.NewGuid():N}";
    public HttpClient Client { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public ServiceFactory<Program> Factory => _factory!;
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A plain HttpClient on the real loopback port Kestrel bound, as the edge would reach billing.</summary>
    public HttpClient NewClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    private static Uri ServerAddress(ServiceFactory<Program> factory)
    {
        var addresses = factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => !a.EndsWith(":0", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("Kestrel reported no bound address: " + string.Join(",", addresses));
        return new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }

    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        Database = await TestInfrastructure.CreateDatabaseAsync("billing");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:billingdb"] = TestInfrastructure.PostgresDatabase(Database),
            ["ConnectionStrings:messaging"] = TestInfrastructure.RabbitMq,
            ["NexRelay:AdminToken"] = AdminToken,
            ["Billing:SettlementQueue"] = SettlementQueue,
            ["Billing:SettlementQueueTemporary"] = "true",
        };
        foreach (var (key, value) in ExtraSettings) settings[key] = value;
        _factory = new ServiceFactory<Program>(settings);
        _factory.StartServer();
        BaseAddress = ServerAddress(_factory);
        Client = NewClient();
        Admin = NewClient();
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        _factory.Services.GetRequiredService<IBus>().ConnectConsumeMessageObserver(_consumed);
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
        // The endpoint's own exchange (same name as its queue, declared with the same temporary flags), so the send does not
        // re-declare the auto-deleted queue with different properties.
        var endpoint = await Factory.Services.GetRequiredService<IBus>()
            .GetSendEndpoint(new Uri($"exchange:{SettlementQueue}?durable=false&autodelete=true"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await endpoint.Send(message, timeout.Token);
    }

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

    public Task WaitForConsumedAsync(string requestId, int count) => _consumed.WaitAsync(requestId, count, TimeSpan.FromSeconds(30));

    // ---- the invariants ----

    /// <summary>
    /// Every wallet's balance and reserved equal the sums of its ledger entries and every entry's running totals match;
    /// available ≥ 0; each request id has at most one hold and one capture; capture ≤ hold; reserved equals the open holds;
    /// budget buckets equal their holds' reserved and captured amounts.
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
            ["reserved = open holds"] = """
                SELECT w.id, w.reserved, coalesce(sum(h.amount), 0) FROM wallets w LEFT JOIN holds h ON h.wallet_id = w.id AND h.state = 'held'
                GROUP BY w.id HAVING w.reserved <> coalesce(sum(h.amount), 0)
                """,
            ["budget buckets = their holds"] = """
                SELECT b.key_id, b.period_key, b.spent, b.reserved FROM key_budgets b
                LEFT JOIN holds h ON h.key_id = b.key_id AND h.budget_period_key = b.period_key
                GROUP BY b.key_id, b.period_key, b.spent, b.reserved
                HAVING b.reserved <> coalesce(sum(h.amount) FILTER (WHERE h.state = 'held'), 0)
                    OR b.spent <> coalesce(sum(h.captured) FILTER (WHERE h.state IN ('settled', 'released')), 0)
                """,
            ["budget never over its limit"] = """
                SELECT b.key_id, b.period_key FROM key_budgets b
                JOIN (SELECT key_id, budget_period_key, min(budget_limit) AS lim FROM holds WHERE budget_limit IS NOT NULL
                      GROUP BY key_id, budget_period_key) h ON h.key_id = b.key_id AND h.budget_period_key = b.period_key
                WHERE b.spent + b.reserved > h.lim
                """,
        };
        foreach (var (name, sql) in checks)
        {
            var violations = await Violations(sql);
            Assert.True(violations.Count == 0, $"Invariant '{name}' violated: {string.Join(" | ", violations)}");
        }
    }

    private sealed class ConsumeCounter : IConsumeMessageObserver<RequestCompleted>
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();

        public Task PreConsume(ConsumeContext<RequestCompleted> context) => Task.CompletedTask;

        public Task PostConsume(ConsumeContext<RequestCompleted> context)
        {
            _counts.AddOrUpdate(context.Message.RequestId, 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public Task ConsumeFault(ConsumeContext<RequestCompleted> context, Exception exception) => Task.CompletedTask;

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

/// <summary>A billing service whose holds expire after one second, swept every second.</summary>
public sealed class ShortHoldTimeoutFixture : BillingFixture
{
    protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Billing:HoldTimeoutSeconds"] = "1",
        ["Billing:ExpirySweepSeconds"] = "1",
    };
}
