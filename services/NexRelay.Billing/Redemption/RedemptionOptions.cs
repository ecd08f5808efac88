using NexRelay.Contracts.Keys;

namespace NexRelay.Billing.Redemption;

/// <summary>
/// The secret redemption codes are hashed with: the API keys' (<c>NexRelay:KeyHashSecret</c>), so an operator keeps one
/// hashing secret; the codes' hashes are domain-separated from the keys' (<see cref="RedemptionCodes.Hash"/>).
/// </summary>
public sealed class RedemptionOptions
{
    public const string HashSecretSetting = "NexRelay:KeyHashSecret";

    public string HashSecret { get; set; } = "";

    /// <summary>At most this many codes per minted batch: the answer lists them all.</summary>
    public const int MaxBatchSize = 1000;

    public static void Add(IServiceCollection services) => services.AddOptions<RedemptionOptions>()
        .Configure<IConfiguration>((o, c) => o.HashSecret = c[HashSecretSetting] ?? "")
        .Validate(o => o.HashSecret.Length >= KeyHash.MinSecretLength,
            $"Setting {HashSecretSetting} (env NexRelay__KeyHashSecret) must be at least {KeyHash.MinSecretLength} characters: billing hashes redemption codes with it.")
        .ValidateOnStart();
}
