using NexRelay.Contracts.Keys;

namespace NexRelay.Edge.Keys;

internal enum KeyStatus
{
    Valid,
    Unknown,
    Revoked,
    Disabled,
    Expired,
}

/// <summary>Whether a resolved key may be used now. Every status but <see cref="KeyStatus.Valid"/> is a 401 that does not say which.</summary>
internal static class KeyValidity
{
    public static KeyStatus Check(KeySnapshot? key, DateTimeOffset now) => key switch
    {
        null => KeyStatus.Unknown,
        { State: "revoked" } => KeyStatus.Revoked,
        { State: "disabled" } => KeyStatus.Disabled,
        { State: not "active" } => KeyStatus.Unknown,
        { ExpiresAt: { } expiresAt } when expiresAt <= now => KeyStatus.Expired,
        _ => KeyStatus.Valid,
    };

    public static bool IsUsable(KeySnapshot? key, DateTimeOffset now) => Check(key, now) == KeyStatus.Valid;
}
