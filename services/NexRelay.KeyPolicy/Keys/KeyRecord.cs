using NexRelay.Contracts.Keys;

namespace NexRelay.KeyPolicy.Keys;

internal static class KeyStates
{
    public const string Active = "active";
    public const string Disabled = "disabled";
    public const string Revoked = "revoked";
}

/// <summary>One row of <c>keys</c>. <see cref="KeyHash"/> stays inside this service except in Redis keys and events.</summary>
internal sealed record KeyRecord
{
    public required Guid Id { get; init; }
    public required Guid WalletId { get; init; }
    public string Name => Settings.Name;
    public required string KeyHash { get; init; }
    public required string Hint { get; init; }
    public required string State { get; init; }
    public required KeySettings Settings { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? RotatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    public KeySnapshot ToSnapshot() => new()
    {
        Id = Id,
        WalletId = WalletId,
        Name = Name,
        Hint = Hint,
        State = State,
        ExpiresAt = Settings.ExpiresAt,
        Policy = new Contracts.Keys.KeyPolicy
        {
            AllowedModels = Settings.AllowedModels,
            MaxOutputTokens = Settings.MaxOutputTokens,
            OutputCapMode = Settings.OutputCapMode,
            BudgetMicros = Settings.BudgetMicros,
            BudgetPeriod = Settings.BudgetPeriod,
            Rpm = Settings.Rpm,
            Tpm = Settings.Tpm,
            LogBodies = Settings.LogBodies,
        },
        Version = Version,
    };

    /// <summary>What a hash retired by a rotation resolves to: this key, revoked, at the key's current version.</summary>
    public KeySnapshot ToTombstone() => ToSnapshot() with { State = KeyStates.Revoked };
}

/// <summary>The editable part of a key: its policy, expiry and name.</summary>
internal sealed record KeySettings
{
    public required string Name { get; init; }
    public IReadOnlyList<string> AllowedModels { get; init; } = [];
    public int? MaxOutputTokens { get; init; }
    public string OutputCapMode { get; init; } = "clamp";
    public long? BudgetMicros { get; init; }
    public string BudgetPeriod { get; init; } = "total";
    public int? Rpm { get; init; }
    public int? Tpm { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool LogBodies { get; init; }
    public bool Disabled { get; init; }
}
