namespace NexRelay.Edge.Tests;

/// <summary>
/// Settings of a real edge host whose billing, key-policy and logging are closed ports (every call to them is refused), with
/// the test infrastructure's Redis and RabbitMQ and a spool folder of its own: for tests of what the edge answers by itself.
/// </summary>
internal static class OfflineEdgeSettings
{
    public static Dictionary<string, string?> For(string adminToken, string spoolPrefix) => new()
    {
        ["ConnectionStrings:redis"] = NexRelay.Testing.TestInfrastructure.Redis,
        ["ConnectionStrings:messaging"] = NexRelay.Testing.TestInfrastructure.RabbitMq,
        ["NexRelay:AdminToken"] = adminToken,
        ["NexRelay:KeyHashSecret"] = "edge-tests-key-hash-secret-0123456789abcdef",
        ["NexRelay:InternalToken"] = "edge-tests-internal-token-0123456789",
        ["services:billing:http:0"] = "http://127.0.0.1:9",
        ["services:keypolicy:http:0"] = "http://127.0.0.1:9",
        ["services:logging:http:0"] = "http://127.0.0.1:9",
        ["Edge:SpoolPath"] = Path.Combine(Path.GetTempPath(), spoolPrefix + Guid.NewGuid().ToString("N")),
        ["Logging:LogLevel:Default"] = "Warning",
    };
}
