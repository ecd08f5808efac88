namespace NexRelay.AppHost.Local;

/// <summary>
/// A server (PostgreSQL, Redis, RabbitMQ) that the AppHost runs itself from the machine's Debian binaries, through
/// <c>scripts/infra.sh serve &lt;server&gt; &lt;profile&gt;</c>: the script owns how each server is configured and run (its data
/// folder, port and settings are the profile's), the AppHost owns its lifetime, health and console log, so the dashboard
/// shows it like any other resource. See docs/architecture.md, "Local servers".
/// </summary>
internal sealed class LocalServerResource(string name, string infraScript, string workingDirectory, int port, ReferenceExpression connectionString)
    : ExecutableResource(name, infraScript, workingDirectory), IResourceWithConnectionString
{
    public int Port { get; } = port;

    public ReferenceExpression ConnectionStringExpression { get; } = connectionString;

    /// <summary>Filled in by the server's kind: what a client (or the dashboard, to name a span's peer) reads from it.</summary>
    public List<KeyValuePair<string, ReferenceExpression>> ConnectionProperties { get; } = [];

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() => ConnectionProperties;
}
