using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.ServiceDefaults.Auth;
using NexRelay.Billing.Notifications;
using NexRelay.Billing.Wallets;
using NexRelay.Contracts.Money;

namespace NexRelay.Billing.Apis;

/// <summary>Admin wallet API under /admin/v1/wallets (the edge forwards it verbatim); requires the admin bearer token.</summary>
public static class WalletsApi
{
    internal const decimal MaxCreditUsd = 1_000_000m;
    private const int MaxNameLength = 200;
    private const int MaxReferenceLength = 200;
    private const int DefaultLedgerLimit = 50;
    private const int MaxLedgerLimit = 500;
    private const int DefaultListLimit = 50;
    private const int MaxListLimit = 500;

    public static RouteGroupBuilder MapWalletsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1/wallets").WithTags("Wallets").RequireAuthorization(NexRelayAuth.AdminPolicy);
        group.MapPost("/", CreateWalletAsync).WithName("CreateWallet");
        group.MapGet("/", ListWalletsAsync).WithName("ListWallets");
        group.MapGet("/{id}", GetWalletAsync).WithName("GetWallet");
        group.MapPost("/{id}/credits", AddCreditAsync).WithName("AddCredit");
        group.MapGet("/{id}/ledger", GetLedgerAsync).WithName("GetLedger");
        return group;
    }

    public static async Task<Results<Created<WalletBody>, ValidationProblem>> CreateWalletAsync(
        HttpRequest request, WalletStore store, CancellationToken cancellationToken)
    {
        var (body, errors) = await JsonBody.ReadAsync<CreateWalletBody>(request, cancellationToken);
        if (errors is not null) return Invalid(errors);
        var name = body!.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name.Any(char.IsControl))
            return Invalid(new() { ["name"] = [$"Required, 1 to {MaxNameLength} printable characters."] });

        var wallet = await store.CreateAsync(name, cancellationToken);
        return TypedResults.Created($"/admin/v1/wallets/{wallet.Id}", WalletBody.From(wallet));
    }

    /// <summary>
    /// Wallets newest first, keyset-paged. <c>q</c> is a wallet id (that wallet, exactly) or a part of the name (any case),
    /// so an operator can paste either.
    /// </summary>
    public static async Task<Results<Ok<WalletPageBody>, ValidationProblem>> ListWalletsAsync(
        string? q, string? limit, string? cursor, WalletStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var page = CreatedPageQuery.Parse(limit, cursor, DefaultListLimit, MaxListLimit, errors);
        var search = q?.Trim();
        if (search is { Length: > MaxNameLength } || (search is not null && search.Any(char.IsControl)))
            errors["q"] = [$"A wallet id, or at most {MaxNameLength} printable characters of its name."];
        if (errors.Count > 0) return Invalid(errors);

        Guid? id = Guid.TryParse(search, out var parsed) ? parsed : null;
        var nameContains = id is null && !string.IsNullOrEmpty(search) ? search : null;
        var wallets = await store.ListAsync(id, nameContains, page.Before, page.PageSize + 1, cancellationToken);
        var next = page.TrimToPage(wallets, w => new CreatedCursor(w.CreatedAt, w.Id));
        return TypedResults.Ok(new WalletPageBody(wallets.ConvertAll(WalletBody.From), next));
    }

    public static async Task<Results<Ok<WalletBody>, ProblemHttpResult>> GetWalletAsync(string id, WalletStore store, CancellationToken cancellationToken)
    {
        var wallet = Guid.TryParse(id, out var walletId) ? await store.GetAsync(walletId, cancellationToken) : null;
        return wallet is null ? UnknownWallet(id) : TypedResults.Ok(WalletBody.From(wallet));
    }

    public static async Task<Results<Created<LedgerEntryBody>, Ok<LedgerEntryBody>, ValidationProblem, ProblemHttpResult>> AddCreditAsync(
        string id, HttpRequest request, WalletStore store, NotificationSignal notifications, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var walletId)) return UnknownWallet(id);
        var (body, errors) = await JsonBody.ReadAsync<CreditBody>(request, cancellationToken);
        if (errors is not null) return Invalid(errors);

        errors = [];
        long micros = 0;
        if (body!.AmountUsd is not { } amount || amount <= 0 || amount > MaxCreditUsd || !Micros.TryParseUsd(amount, out micros))
            errors["amount_usd"] = [$"Required: a number of USD above 0, at most {MaxCreditUsd}, with at most 6 decimals."];
        var reference = body.Reference?.Trim();
        if (string.IsNullOrEmpty(reference) || reference.Length > MaxReferenceLength || reference.Any(char.IsControl))
            errors["reference"] = [$"Required, 1 to {MaxReferenceLength} printable characters (the credit's idempotency key)."];
        if (errors.Count > 0) return Invalid(errors);

        var (status, entry) = await store.CreditAsync(walletId, micros, reference!, cancellationToken);
        if (status == CreditStatus.Created) notifications.Nudge(); // a credit may re-arm a low-balance threshold
        return status switch
        {
            CreditStatus.Created => TypedResults.Created($"/admin/v1/wallets/{walletId}/ledger", LedgerEntryBody.From(entry!)),
            CreditStatus.Existing => TypedResults.Ok(LedgerEntryBody.From(entry!)),
            CreditStatus.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Reference already used",
                detail: $"reference: '{reference}' was already credited with {Micros.ToUsd(entry!.Amount)} USD, not {body.AmountUsd} USD.",
                type: ProblemTypes.Conflict),
            _ => UnknownWallet(id),
        };
    }

    public static async Task<Results<Ok<LedgerPageBody>, ValidationProblem, ProblemHttpResult>> GetLedgerAsync(
        string id, string? limit, string? cursor, WalletStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var pageSize = DefaultLedgerLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLedgerLimit))
            errors["limit"] = [$"An integer from 1 to {MaxLedgerLimit}."];
        long? beforeId = null;
        if (cursor is not null)
        {
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0) beforeId = parsed;
            else errors["cursor"] = ["Use the next_cursor of the previous page."];
        }
        if (errors.Count > 0) return Invalid(errors);

        if (!Guid.TryParse(id, out var walletId) || await store.GetAsync(walletId, cancellationToken) is null) return UnknownWallet(id);
        var entries = await store.LedgerPageAsync(walletId, beforeId, pageSize + 1, cancellationToken);
        var hasMore = entries.Count > pageSize;
        if (hasMore) entries.RemoveAt(entries.Count - 1);
        var next = hasMore ? entries[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new LedgerPageBody(entries.ConvertAll(LedgerEntryBody.From), next));
    }

    internal static ProblemHttpResult UnknownWallet(string id) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound,
        title: "Unknown wallet", detail: $"id: no wallet '{id}'.", type: ProblemTypes.NotFound);

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);
}
