namespace NexRelay.ServiceDefaults;

/// <summary>
/// The <c>type</c> of every ProblemDetails a NexRelay service answers on its admin and internal APIs: one catalog, so a
/// client that branches on the type reads the same word from billing, key-policy, logging and the edge.
/// </summary>
public static class ProblemTypes
{
    private const string Base = "https://nexrelay.dev/problems/";

    /// <summary>400: a body, query or route parameter failed validation (the <c>errors</c> member names which).</summary>
    public const string InvalidRequest = Base + "invalid-request";

    /// <summary>404: no such resource.</summary>
    public const string NotFound = Base + "not-found";

    /// <summary>409: the resource's state forbids the change (a revoked key, a duplicate id).</summary>
    public const string Conflict = Base + "conflict";

    /// <summary>401 on an admin API: no <c>Authorization: Bearer &lt;admin token&gt;</c>, or a wrong one.</summary>
    public const string AdminToken = Base + "admin-token";

    /// <summary>401 on <c>/internal/*</c>: no internal-token header, or a wrong one.</summary>
    public const string InternalToken = Base + "internal-token";

    /// <summary>403: authenticated, but this caller may not do this.</summary>
    public const string Forbidden = Base + "forbidden";

    /// <summary>503: a dependency (another service, the database, RabbitMQ) cannot answer now; retry shortly.</summary>
    public const string ServiceUnavailable = Base + "service-unavailable";

    /// <summary>502: another service failed to answer the forwarded call; its own log has the details.</summary>
    public const string ServiceError = Base + "service-error";
}
