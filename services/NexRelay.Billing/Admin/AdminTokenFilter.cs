using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Apis;

namespace NexRelay.Billing.Admin;

/// <summary>Requires <c>Authorization: Bearer &lt;NexRelay:AdminToken&gt;</c>, compared in constant time.</summary>
internal sealed class AdminTokenFilter(IOptions<AdminOptions> options) : IEndpointFilter
{
    // Hashing first makes the comparison constant-time regardless of the presented token's length.
    private readonly byte[] _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminToken));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (presented.Length == 0 || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expectedHash))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Admin token required",
                detail: "Authorization: a valid 'Bearer <admin token>' header is required.", type: ProblemTypes.Unauthorized);
        }
        return await next(context);
    }
}
