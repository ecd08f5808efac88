namespace NexRelay.Edge.Translation;

/// <summary>
/// Endpoint metadata: the client format a route speaks — its requests, answers and refusals. Most routes name one; a route
/// several APIs share (<c>/v1/models</c>) decides per request by <see cref="FormatRegistry.ByCredentials"/>.
/// </summary>
public sealed class RouteFormat
{
    private readonly IClientFormat? _format;
    private readonly Func<HttpRequest, IClientFormat>? _choose;

    private RouteFormat(IClientFormat? format, Func<HttpRequest, IClientFormat>? choose) => (_format, _choose) = (format, choose);

    public static RouteFormat Of(ClientFormat format) => new(FormatRegistry.Client(format), null);

    public static RouteFormat ByCredentials { get; } = new(null, FormatRegistry.ByCredentials);

    public IClientFormat For(HttpRequest request) => _format ?? _choose!(request);
}

public static class RouteFormatExtensions
{
    /// <summary>The client format this request is answered in: its route's (<see cref="RouteFormat"/>), resolved once per request.</summary>
    public static IClientFormat ClientFormat(this HttpContext http)
    {
        if (http.Features.Get<IClientFormat>() is { } resolved) return resolved;
        var format = (http.GetEndpoint()?.Metadata.GetMetadata<RouteFormat>()
                      ?? throw new InvalidOperationException("This route declares no client format (Speaks).")).For(http.Request);
        http.Features.Set(format);
        return format;
    }

    /// <summary>Declares the client format the route speaks (see <see cref="RouteFormat"/>).</summary>
    public static TBuilder Speaks<TBuilder>(this TBuilder builder, RouteFormat format) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(format);

    public static TBuilder Speaks<TBuilder>(this TBuilder builder, ClientFormat format) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(RouteFormat.Of(format));
}
