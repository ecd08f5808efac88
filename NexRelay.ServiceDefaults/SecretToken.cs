using System.Security.Cryptography;
using System.Text;

namespace NexRelay.ServiceDefaults;

/// <summary>
/// A shared secret a caller must present (the admin token, the internal token), checked in constant time: both sides are
/// hashed first, so neither the presented token's content nor its length shows in the time taken. During a rotation a
/// <paramref name="previous"/> value is accepted too, so callers that still send it keep working until they are restarted
/// with the new one; the presented token is compared with both whichever matches, so which one it is does not show either.
/// </summary>
public sealed class SecretToken(string expected, string? previous = null)
{
    private readonly byte[] _expectedHash = Hash(expected);
    private readonly byte[]? _previousHash = string.IsNullOrEmpty(previous) ? null : Hash(previous);

    /// <summary>True when <paramref name="presented"/> is non-empty and equals the current token or, during a rotation, the previous one.</summary>
    public bool Matches(string? presented)
    {
        if (string.IsNullOrEmpty(presented)) return false;
        var hash = Hash(presented);
        // `|`, not `||`: both comparisons always run.
        return CryptographicOperations.FixedTimeEquals(hash, _expectedHash)
            | (_previousHash is not null && CryptographicOperations.FixedTimeEquals(hash, _previousHash));
    }

    /// <summary>The token of an <c>Authorization: Bearer &lt;token&gt;</c> header (scheme case-insensitive, trimmed), or "".</summary>
    public static string FromBearer(string authorizationHeader)
    {
        const string scheme = "Bearer ";
        return authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? authorizationHeader[scheme.Length..].Trim() : "";
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
