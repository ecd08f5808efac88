using Microsoft.Extensions.Options;
using NexRelay.ServiceDefaults;

namespace NexRelay.KeyPolicy.Apis;

/// <summary>Requires <c>Authorization: Bearer &lt;NexRelay:AdminToken&gt;</c>, compared in constant time.</summary>
internal sealed class AdminAuthFilter(IOptions<KeyPolicyOptions> options) : IEndpointFilter
{
    private readonly SecretToken _token = new(options.Value.AdminToken);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!_token.Matches(SecretToken.FromBearer(context.HttpContext.Request.Headers.Authorization.ToString())))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Admin token missing or wrong",
                detail: "Send Authorization: Bearer <admin token>.",
                type: KeysApi.ProblemTypes.Unauthorized);
        }
        return await next(context);
    }
}
