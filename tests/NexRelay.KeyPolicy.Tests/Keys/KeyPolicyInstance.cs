using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NexRelay.Contracts.Keys;
using NexRelay.ServiceDefaults.Internal;
using NexRelay.Testing;
using StackExchange.Redis;

namespace NexRelay.KeyPolicy.Tests.Keys;

/// <summary>
/// A user of the shared test Redis for one key-policy instance: a test can refuse its writes (ACL) or drop its connections
/// without disturbing any other test or service using the same Redis.
/// </summary>
internal sealed class RedisUser : IAsyncDisposable
{
    private readonly IServer _server;
    private readonly string _password = Guid.NewGuid().ToString("N");

    private RedisUser(IServer server) => _server = server;

    public string Name { get; } = "keypolicy-test-" + Guid.NewGuid().ToString("N")[..12];

    public string ConnectionString => $"127.0.0.1:{TestInfrastructure.Need("NEXRELAY_REDIS_PORT")},user={Name},password={_password},abortConnect=false";

    public static async Task<RedisUser> CreateAsync(IConnectionMultiplexer admin)
    {
        var user = new RedisUser(admin.GetServers().Single());
        await user.AclAsync("on", ">" + user._password, "~*", "&*", "+@all");
        return user;
    }

    /// <summary>SET refused (NOPERM), also inside scripts: every snapshot write of key-policy fails, reads still work.</summary>
    public Task RefuseWritesAsync() => AclAsync("-set");

    public Task AllowWritesAsync() => AclAsync("+set");

    /// <summary>Closes every connection of this user, as a Redis restart or failover would; the client reconnects.</summary>
    public Task DropConnectionsAsync() => _server.ExecuteAsync("CLIENT", "KILL", "USER", Name);

    private Task AclAsync(params string[] rules) => _server.ExecuteAsync("ACL", ["SETUSER", Name, .. rules]);

    public async ValueTask DisposeAsync() => await _server.ExecuteAsync("ACL", "DELUSER", Name);
}

/// <summary>Key-policy on a database of the test's choosing, reaching Redis as <see cref="RedisUser"/> and RabbitMQ at <c>messaging</c>.</summary>
internal sealed class KeyPolicyInstance : IAsyncDisposable
{
    private KeyPolicyInstance(KeyPolicyFactory factory, HttpClient client)
    {
        Factory = factory;
        Client = client;
    }

    public KeyPolicyFactory Factory { get; }
    public HttpClient Client { get; }

    public static KeyPolicyInstance Start(string database, RedisUser redis, string? messaging = null)
    {
        var settings = KeyPolicyFixture.Settings(database);
        settings["ConnectionStrings:redis"] = redis.ConnectionString;
        if (messaging is not null) settings["ConnectionStrings:messaging"] = messaging;
        settings["Logging:LogLevel:Default"] = "Warning";
        var factory = new KeyPolicyFactory(settings, new CapturedLogs());
        factory.StartServer();
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KeyPolicyFixture.AdminToken);
        client.DefaultRequestHeaders.Add(InternalAuth.HeaderName, KeyPolicyFixture.InternalToken);
        return new KeyPolicyInstance(factory, client);
    }

    /// <summary>Creates a key with <c>allowed_models</c> ["gpt-*"] and a 5 USD budget; returns its id and secret.</summary>
    public async Task<(Guid Id, string Key)> CreateKeyAsync()
    {
        var body = new JsonObject { ["wallet_id"] = Guid.NewGuid().ToString(), ["name"] = "k", ["allowed_models"] = new JsonArray("gpt-*"), ["budget_usd"] = 5m };
        using var response = await Client.PostAsJsonAsync("/admin/v1/keys", body);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(response.IsSuccessStatusCode, created.ToJsonString());
        return (Guid.Parse(created["id"]!.GetValue<string>()), created["key"]!.GetValue<string>());
    }

    public async Task<HttpResponseMessage> LookupAsync(string hash) =>
        await Client.PostAsJsonAsync(KeyLookupRequest.Path, new KeyLookupRequest { KeyHash = hash }, KeySnapshotJson.Options);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}
