using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Errors;

/// <summary>An <see cref="EdgeError"/> as an endpoint result (for <c>Results&lt;…&gt;</c> unions), written in the route's client format.</summary>
public sealed class EdgeErrorResult(EdgeError error) : IResult
{
    public EdgeError Error { get; } = error;

    public Task ExecuteAsync(HttpContext httpContext) => ErrorWriters.WriteAsync(httpContext, httpContext.ClientFormat(), Error);
}
