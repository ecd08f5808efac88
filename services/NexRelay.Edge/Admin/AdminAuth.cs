using System.Security.Cryptography;
using System.Text;

namespace NexRelay.Edge.Admin;

/// <summary>Admin calls carry <c>Authorization: Bearer &lt;admin token&gt;</c>; customer keys are never accepted here.</summary>
internal static class AdminAuth
{
    public static bool IsAdmin(HttpRequest request, string adminToken)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(adminToken));
    }
}
