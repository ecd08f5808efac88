using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using NexRelay.ServiceDefaults;

namespace NexRelay.AppHost;

/// <summary>
/// The admin token (NEXRELAY_ADMIN_TOKEN), the key-hashing secret (NEXRELAY_KEY_HASH_SECRET) and the token the services
/// share for /internal/* (NEXRELAY_INTERNAL_TOKEN) handed to the services. ./run.sh keeps the first two in
/// .nexrelay/run/app-secrets so keys survive restarts; when unset (tests, a bare `dotnet run`) they are generated for this
/// run only. The internal token needs no keeping: every service of a run gets the same one.
/// </summary>
internal sealed record AppSecrets(string AdminToken, string KeyHashSecret, string InternalToken)
{
    public static AppSecrets From(IConfiguration configuration)
    {
        var admin = configuration["NEXRELAY_ADMIN_TOKEN"] is { Length: > 0 } given ? given : "nra_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        // Every service would refuse it at start; saying so here names the cause before four services fail their health checks.
        if (!AdminTokenAttribute.IsLongEnough(admin)) throw new InvalidOperationException("NEXRELAY_ADMIN_TOKEN is too short. " + AdminTokenAttribute.Requirement);
        return new(admin,
            configuration["NEXRELAY_KEY_HASH_SECRET"] is { Length: > 0 } secret ? secret : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            configuration["NEXRELAY_INTERNAL_TOKEN"] is { Length: > 0 } internalToken ? internalToken : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
    }
}
