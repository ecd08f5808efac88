using Microsoft.Extensions.Options;
using NexRelay.Billing.Apis;
using NexRelay.ServiceDefaults;

namespace NexRelay.Billing.Admin;

/// <summary>Requires <c>Authorization: Bearer &lt;NexRelay:AdminToken&gt;</c>, compared in constant time.</summary>
internal sealed class AdminTokenFilter(IOptions<AdminOptions> options) : IEndpointFilter
{
    private readonly SecretToken _token = new(options.Value.AdminToken);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!_token.Matches(SecretToken.FromBearer(context.HttpContext.Request.Headers.Authorization.ToString())))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Admin token required",
                detail: "Authorization: a valid 'Bearer <admin token>' header is required.", type: ProblemTypes.Unauthorized);
        }
        return await next(context);
    }
}
