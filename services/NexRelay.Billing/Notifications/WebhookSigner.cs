using System.Security.Cryptography;
using System.Text;

namespace NexRelay.Billing.Notifications;

/// <summary>
/// Signs an event as receivers verify it: <c>x-nexrelay-signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</c>, the hex being
/// HMAC-SHA256, keyed with the wallet's signing secret (its UTF-8 bytes), of <c>"&lt;t&gt;.&lt;body&gt;"</c>. The timestamp is
/// signed so a receiver can refuse old replays (we suggest five minutes); the body is signed byte for byte as sent.
/// </summary>
public static class WebhookSigner
{
    public const string Header = "x-nexrelay-signature";

    public static string NewSecret() => "nrwhsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>What a receiver does (and the tests): recompute and compare in constant time, within a tolerance.</summary>
    public static bool Verify(string secret, string header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        long? t = null;
        string? v1 = null;
        foreach (var part in header.Split(','))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2) continue;
            if (kv[0] == "t" && long.TryParse(kv[1], out var parsed)) t = parsed;
            else if (kv[0] == "v1") v1 = kv[1];
        }
        if (t is not { } ts || v1 is null || Math.Abs(now.ToUnixTimeSeconds() - ts) > tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, ts, body).Split("v1=")[1]);
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(v1));
    }
}
