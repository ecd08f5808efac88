using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace NexRelay.AppHost;

/// <summary>
/// The admin token (NEXRELAY_ADMIN_TOKEN) and the key-hashing secret (NEXRELAY_KEY_HASH_SECRET) handed to the services.
/// ./run.sh keeps both in .nexrelay/run/app-secrets so keys survive restarts; when unset (tests, a bare `dotnet run`) they
/// are generated for this run only.
/// </summary>
internal sealed record AppSecrets(string AdminToken, string KeyHashSecret)
{
    public static AppSecrets From(IConfiguration configuration) => new(
        configuration["NEXRELAY_ADMIN_TOKEN"] is { Length: > 0 } admin ? admin : "nra_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
        configuration["NEXRELAY_KEY_HASH_SECRET"] is { Length: > 0 } secret ? secret : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
}
