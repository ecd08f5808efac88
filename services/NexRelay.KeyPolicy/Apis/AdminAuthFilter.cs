using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace NexRelay.KeyPolicy.Apis;

/// <summary>Requires <c>Authorization: Bearer &lt;NexRelay:AdminToken&gt;</c>, compared in constant time.</summary>
internal sealed class AdminAuthFilter(IOptions<KeyPolicyOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (presented.Length == 0 || !TokenEquals(presented, options.Value.AdminToken))
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

    // Hashing both sides first makes the comparison independent of the token lengths too.
    private static bool TokenEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
