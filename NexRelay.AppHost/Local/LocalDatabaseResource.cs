namespace NexRelay.AppHost.Local;

/// <summary>
/// One service's database on a <see cref="LocalServerResource"/> PostgreSQL server. Modelled as a resource of its own, so
/// that a service waits for its own database, and so that the dashboard names the right database as a span's peer (it
/// matches a span's <c>db.namespace</c> against each resource's <c>DatabaseName</c>; the three databases share one address).
/// </summary>
internal sealed class LocalDatabaseResource(string name, string databaseName, LocalServerResource parent)
    : Resource(name), IResourceWithParent<LocalServerResource>, IResourceWithConnectionString
{
    public LocalServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent.ConnectionStringExpression};Database={DatabaseName}");

    IEnumerable<KeyValuePair<string, ReferenceExpression>> IResourceWithConnectionString.GetConnectionProperties() =>
        Parent.ConnectionProperties.Append(new("DatabaseName", ReferenceExpression.Create($"{DatabaseName}")));
}
