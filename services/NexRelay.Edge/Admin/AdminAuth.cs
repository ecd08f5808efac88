using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Admin;

/// <summary>Admin calls carry <c>Authorization: Bearer &lt;admin token&gt;</c>; customer keys are never accepted here.</summary>
internal static class AdminAuth
{
    // Admin calls are rare: hashing the expected token per call costs nothing that matters.
    public static bool IsAdmin(HttpRequest request, string adminToken) =>
        new SecretToken(adminToken).Matches(SecretToken.FromBearer(request.Headers.Authorization.ToString()));
}
