using NexRelay.Contracts.Keys;
using NexRelay.ServiceDefaults;

namespace NexRelay.KeyPolicy;

/// <summary>Settings under <c>NexRelay</c>: the key-hash secret shared with the edge, the admin token, the Redis snapshot TTL.</summary>
internal sealed class KeyPolicyOptions
{
    public const string Section = "NexRelay";

    /// <summary><c>NexRelay:KeyHashSecret</c>: HMAC secret for key hashes; the edge must use the same value.</summary>
    public string KeyHashSecret { get; set; } = "";

    /// <summary><c>NexRelay:AdminToken</c> (or <c>NEXRELAY_ADMIN_TOKEN</c>): the bearer token the admin API requires.</summary>
    public string AdminToken { get; set; } = "";

    /// <summary><c>NexRelay:KeySnapshotTtl</c>: lifetime of <c>nexrelay:key:{hash}</c> entries in Redis.</summary>
    public TimeSpan KeySnapshotTtl { get; set; } = TimeSpan.FromMinutes(10);

    public static void AddTo(IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KeyPolicyOptions>()
            .BindConfiguration(Section)
            .PostConfigure<IConfiguration>((o, config) =>
            {
                if (string.IsNullOrEmpty(o.AdminToken)) o.AdminToken = config["NEXRELAY_ADMIN_TOKEN"] ?? "";
            })
            .Validate(o => o.KeyHashSecret is { Length: >= KeyHash.MinSecretLength },
                $"Setting NexRelay:KeyHashSecret (env NexRelay__KeyHashSecret) must be at least {KeyHash.MinSecretLength} characters.")
            .Validate(o => AdminTokenAttribute.IsLongEnough(o.AdminToken), AdminTokenAttribute.Requirement)
            .Validate(o => o.KeySnapshotTtl > TimeSpan.Zero, "Setting NexRelay:KeySnapshotTtl must be positive.")
            .ValidateOnStart();
    }
}
