using System.Text.Json.Serialization;
using NexRelay.Contracts.Money;
using NexRelay.KeyPolicy.Keys;

namespace NexRelay.KeyPolicy.Apis;

/// <summary>A key as the admin API shows it: never the hash; the secret only in the create and rotate responses.</summary>
internal sealed record KeyResponse
{
    public required Guid Id { get; init; }
    public required Guid WalletId { get; init; }
    public required string Name { get; init; }
    public required string Hint { get; init; }
    public required string State { get; init; }
    public required bool Disabled { get; init; }
    public required IReadOnlyList<string> AllowedModels { get; init; }
    public required int? MaxOutputTokens { get; init; }
    public required string OutputCapMode { get; init; }
    public required decimal? BudgetUsd { get; init; }
    public required string BudgetPeriod { get; init; }
    public required int? Rpm { get; init; }
    public required int? Tpm { get; init; }
    public required DateTimeOffset? ExpiresAt { get; init; }
    public required bool LogBodies { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? RotatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>The secret, present only right after create or rotate: it is not stored and cannot be shown again.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    internal static KeyResponse From(KeyRecord k, string? secret = null) => new()
    {
        Id = k.Id,
        WalletId = k.WalletId,
        Name = k.Name,
        Hint = k.Hint,
        State = k.State,
        Disabled = k.State == KeyStates.Disabled,
        AllowedModels = k.Settings.AllowedModels,
        MaxOutputTokens = k.Settings.MaxOutputTokens,
        OutputCapMode = k.Settings.OutputCapMode,
        BudgetUsd = k.Settings.BudgetMicros is { } micros ? Micros.ToUsd(micros) : null,
        BudgetPeriod = k.Settings.BudgetPeriod,
        Rpm = k.Settings.Rpm,
        Tpm = k.Settings.Tpm,
        ExpiresAt = k.Settings.ExpiresAt,
        LogBodies = k.Settings.LogBodies,
        CreatedAt = k.CreatedAt,
        UpdatedAt = k.UpdatedAt,
        RotatedAt = k.RotatedAt,
        RevokedAt = k.RevokedAt,
        Key = secret,
    };
}

/// <summary>A page of <c>GET /admin/v1/keys</c>; <c>next_cursor</c> is null on the last page.</summary>
internal sealed record KeyList(IReadOnlyList<KeyResponse> Data, string? NextCursor);
