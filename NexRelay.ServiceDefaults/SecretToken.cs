using System.Security.Cryptography;
using System.Text;

namespace NexRelay.ServiceDefaults;

/// <summary>
/// A shared secret a caller must present (the admin token, the internal token), checked in constant time: both sides are
/// hashed first, so neither the presented token's content nor its length shows in the time taken.
/// </summary>
public sealed class SecretToken(string expected)
{
    private readonly byte[] _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(expected));

    /// <summary>True when <paramref name="presented"/> is non-empty and equals the expected token.</summary>
    public bool Matches(string? presented) =>
        !string.IsNullOrEmpty(presented) && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expectedHash);

    /// <summary>The token of an <c>Authorization: Bearer &lt;token&gt;</c> header (scheme case-insensitive, trimmed), or "".</summary>
    public static string FromBearer(string authorizationHeader)
    {
        const string scheme = "Bearer ";
        return authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? authorizationHeader[scheme.Length..].Trim() : "";
    }
}
