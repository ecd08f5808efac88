using System.Security.Cryptography;
using System.Text;

namespace NexRelay.Contracts.Keys;

/// <summary>
/// The API key format and its keyed hash. Key-policy stores only the hash; the edge hashes what a caller presents with the
/// same secret (setting <c>NexRelay:KeyHashSecret</c>) and looks it up by hash, so both must agree byte for byte.
/// </summary>
public static class KeyHash
{
    public const string Prefix = "nrk_";

    /// <summary>43 base62 characters carry ~256 random bits (the issue asks for at least 192).</summary>
    public const int RandomLength = 43;

    public const int Length = 4 + RandomLength;

    /// <summary>Minimum length of the HMAC secret, checked at start by every service that hashes keys.</summary>
    public const int MinSecretLength = 32;

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new key: <c>nrk_</c> + 43 uniformly random base62 characters.</summary>
    public static string Generate() => Prefix + RandomNumberGenerator.GetString(Base62, RandomLength);

    /// <summary>HMAC-SHA256(secret, key) as 64 lowercase hex characters.</summary>
    public static string Compute(string secret, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return Compute(Encoding.UTF8.GetBytes(secret), key);
    }

    /// <summary>Same as <see cref="Compute(string, string)"/> with the secret already UTF-8 encoded (the edge's hot path keeps it so).</summary>
    public static string Compute(ReadOnlySpan<byte> secretUtf8, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        var keyBytes = length <= 256 ? stackalloc byte[length] : new byte[length];
        var written = Encoding.UTF8.GetBytes(key, keyBytes);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secretUtf8, keyBytes[..written], hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Format check before hashing: right prefix, right length, base62 only. Cheap way to refuse garbage without a lookup.</summary>
    public static bool LooksLikeKey(string? key)
    {
        if (key is null || key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        foreach (var c in key.AsSpan(Prefix.Length))
        {
            if (!char.IsAsciiLetterOrDigit(c)) return false;
        }
        return true;
    }

    /// <summary>True for what <see cref="Compute"/> returns: 64 lowercase hex characters.</summary>
    public static bool LooksLikeHash(string? hash)
    {
        if (hash is null || hash.Length != 64) return false;
        foreach (var c in hash)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f')) return false;
        }
        return true;
    }

    /// <summary>What listings show instead of the key: <c>nrk_…4f2a</c>.</summary>
    public static string Hint(string key) => $"{Prefix}…{key[^4..]}";

    /// <summary>Redis key under which key-policy writes a key's <see cref="KeySnapshot"/> (as <see cref="KeySnapshotJson"/>).</summary>
    public static string RedisKey(string hash) => $"nexrelay:key:{hash}";
}
