using NexRelay.Contracts.Keys;

namespace NexRelay.Edge.Tests.Keys;

public sealed class KeyHashTests
{
    private const string Secret = "edge-tests-key-hash-secret-0123456789abcdef";

    [Fact]
    public void Generated_keys_have_the_prefix_and_43_base62_characters_and_differ()
    {
        var keys = Enumerable.Range(0, 200).Select(_ => KeyHash.Generate()).ToList();
        Assert.All(keys, k =>
        {
            Assert.StartsWith("nrk_", k);
            Assert.Equal(47, k.Length);
            Assert.All(k[4..], c => Assert.True(char.IsAsciiLetterOrDigit(c)));
            Assert.True(KeyHash.LooksLikeKey(k));
        });
        Assert.Equal(keys.Count, keys.Distinct().Count());
        // Every base62 class shows up somewhere in 200 × 43 characters: the alphabet is really used.
        var all = string.Concat(keys.Select(k => k[4..]));
        Assert.Contains(all, char.IsAsciiDigit);
        Assert.Contains(all, char.IsAsciiLetterUpper);
        Assert.Contains(all, char.IsAsciiLetterLower);
    }

    [Fact]
    public void Hash_is_hmac_sha256_in_lowercase_hex() =>
        // The published HMAC-SHA256 test vector (key "key", message "The quick brown fox jumps over the lazy dog").
        Assert.Equal("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            KeyHash.Compute("key", "The quick brown fox jumps over the lazy dog"));

    [Fact]
    public void Hash_with_encoded_secret_equals_hash_with_string_secret()
    {
        var key = KeyHash.Generate();
        Assert.Equal(KeyHash.Compute(Secret, key), KeyHash.Compute(System.Text.Encoding.UTF8.GetBytes(Secret), key));
        Assert.Equal(KeyHash.Compute("sécret-ü", "nrk_x"), KeyHash.Compute("sécret-ü"u8, "nrk_x"));
        var longKey = new string('é', 300);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(Secret), System.Text.Encoding.UTF8.GetBytes(longKey))), KeyHash.Compute(Secret, longKey));
    }

    [Fact]
    public void Hash_depends_on_both_the_key_and_the_secret()
    {
        var key = KeyHash.Generate();
        var hash = KeyHash.Compute(Secret, key);
        Assert.Equal(hash, KeyHash.Compute(Secret, key));
        Assert.NotEqual(hash, KeyHash.Compute(Secret + "x", key));
        Assert.NotEqual(hash, KeyHash.Compute(Secret, KeyHash.Generate()));
        Assert.True(KeyHash.LooksLikeHash(hash));
        Assert.DoesNotContain(key[4..], hash);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("nrk_")]
    [InlineData("sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH")]
    [InlineData("nrk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF")]    // 42 random characters
    [InlineData("nrk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH")]  // 44
    [InlineData("nrk_abcdefghijklmnopqrstuvwxyz0123456789ABCD-F")]    // not base62
    [InlineData("nrk_abcdefghijklmnopqrstuvwxyz0123456789ABCD F")]
    [InlineData("NRK_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")]
    [InlineData("nrk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFé")]
    public void Malformed_keys_are_refused_before_hashing(string? key) => Assert.False(KeyHash.LooksLikeKey(key));

    [Fact]
    public void A_well_formed_key_is_accepted() => Assert.True(KeyHash.LooksLikeKey("nrk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"));

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false)]
    public void Hash_format_is_64_lowercase_hex(string hash, bool expected) => Assert.Equal(expected, KeyHash.LooksLikeHash(hash));

    [Fact]
    public void Hint_shows_the_prefix_and_the_last_four_characters_only()
    {
        var key = KeyHash.Generate();
        Assert.Equal($"nrk_…{key[^4..]}", KeyHash.Hint(key));
    }

    [Fact]
    public void Redis_key_is_namespaced_by_hash() => Assert.Equal("nexrelay:key:abc", KeyHash.RedisKey("abc"));
}
