using System.Security.Cryptography;
using NexRelay.Contracts.Keys;

namespace NexRelay.Billing.Redemption;

/// <summary>
/// The redemption code format and its keyed hash. A code is <c>NXR-XXXXX-XXXXX-XXXXX-XXXXX</c>: 20 random characters of
/// Crockford's base32 (no I, L, O, U; ~100 bits, beyond guessing under the edge's limit on failed redemptions), grouped for
/// reading aloud. Only the HMAC is stored, computed like an API key's (<see cref="KeyHash"/>, setting
/// <c>NexRelay:KeyHashSecret</c>) over a prefixed text, so a code's hash can never equal a key's.
/// </summary>
public static class RedemptionCodes
{
    public const string Prefix = "NXR-";
    public const int RandomLength = 20;
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const string HashDomain = "redemption-code:";

    public static string Generate()
    {
        var random = RandomNumberGenerator.GetString(Alphabet, RandomLength);
        return Prefix + string.Join('-', random.Chunk(5).Select(c => new string(c)));
    }

    /// <summary>
    /// The code's 20 characters as typed or pasted: case, dashes and spaces do not matter, the prefix is optional, and the
    /// letters Crockford's base32 reads as digits (I, L → 1; O → 0) are read so. Null when it cannot be a code.
    /// </summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null || typed.Length > 64) return null;
        var chars = new List<char>(RandomLength);
        var text = typed.Trim().ToUpperInvariant();
        if (text.StartsWith(Prefix, StringComparison.Ordinal)) text = text[Prefix.Length..];
        else if (text.StartsWith("NXR", StringComparison.Ordinal) && text.Length > RandomLength) text = text[3..];
        foreach (var c in text)
        {
            if (c is '-' or ' ') continue;
            var d = c switch { 'I' or 'L' => '1', 'O' => '0', _ => c };
            if (!Alphabet.Contains(d)) return null;
            chars.Add(d);
        }
        return chars.Count == RandomLength ? new string([.. chars]) : null;
    }

    /// <summary>HMAC-SHA256 of the normalized code (64 lowercase hex characters): what the database stores and looks up.</summary>
    public static string Hash(string secret, string normalized) => KeyHash.Compute(secret, HashDomain + normalized);
}
