using Microsoft.AspNetCore.Mvc;
using NexRelay.Contracts.Keys;
using NexRelay.KeyPolicy.Keys;

namespace NexRelay.KeyPolicy.Apis;

/// <summary>The query string of <c>GET /admin/v1/keys</c>, raw, so a bad value is a 400 that names it rather than a binding failure.</summary>
internal sealed class KeyListQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>How a hint looks (<see cref="KeyHash.Hint"/>); "..." is taken for the ellipsis, which is awkward to type.</summary>
    private const string HintEllipsis = "…";

    private static readonly string[] States = [KeyStates.Active, KeyStates.Disabled, KeyStates.Revoked];

    [FromQuery(Name = "wallet_id")] public string? WalletId { get; init; }
    [FromQuery(Name = "q")] public string? Q { get; init; }
    [FromQuery(Name = "status")] public string? Status { get; init; }
    [FromQuery(Name = "limit")] public string? Limit { get; init; }
    [FromQuery(Name = "cursor")] public string? Cursor { get; init; }

    /// <summary>The filter, adding an error per bad parameter to <paramref name="errors"/>.</summary>
    public KeyListFilter Filter(Dictionary<string, string[]> errors)
    {
        Guid? walletId = null;
        if (!string.IsNullOrEmpty(WalletId))
        {
            if (Guid.TryParse(WalletId, out var parsed)) walletId = parsed;
            else errors["wallet_id"] = ["wallet_id must be a UUID."];
        }

        string? state = null;
        if (!string.IsNullOrEmpty(Status))
        {
            state = States.FirstOrDefault(s => s == Status);
            if (state is null) errors["status"] = [$"status must be one of: {string.Join(", ", States)}."];
        }

        var q = Q?.Trim();
        if (string.IsNullOrEmpty(q)) return new KeyListFilter(walletId, null, null, null, state);
        if (q.Length > KeyFields.MaxNameLength || q.Any(char.IsControl))
        {
            errors["q"] = [$"q must be a key id, a key hint (nrk_…abcd) or at most {KeyFields.MaxNameLength} printable characters of a name."];
            return new KeyListFilter(walletId, null, null, null, state);
        }
        if (Guid.TryParse(q, out var id)) return new KeyListFilter(walletId, id, null, null, state);
        if (AsHint(q) is { } hint) return new KeyListFilter(walletId, null, hint, null, state);
        return new KeyListFilter(walletId, null, null, q, state);
    }

    /// <summary>The hint <paramref name="q"/> spells (<c>nrk_…4f2a</c>), or null when it is not one.</summary>
    private static string? AsHint(string q)
    {
        var hint = q.Replace("...", HintEllipsis, StringComparison.Ordinal);
        const int tail = 4;
        return hint.Length == KeyHash.Prefix.Length + HintEllipsis.Length + tail
            && hint.StartsWith(KeyHash.Prefix + HintEllipsis, StringComparison.Ordinal)
            && hint[^tail..].All(char.IsAsciiLetterOrDigit)
            ? hint
            : null;
    }
}
