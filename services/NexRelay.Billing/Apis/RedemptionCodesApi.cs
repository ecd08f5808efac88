using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Redemption;
using NexRelay.Billing.Wallets;
using NexRelay.Contracts.Money;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Billing.Apis;

/// <summary>
/// Redemption codes: the admin API under /admin/v1/redemption-codes (mint, list, void; the edge forwards it verbatim) and
/// <c>POST /internal/redemptions</c>, which the edge calls for a key holder's <c>POST /api/v1/credits/redeem</c>.
/// </summary>
public static class RedemptionCodesApi
{
    private const int MaxNoteLength = 500;
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapRedemptionCodesApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/v1/redemption-codes").WithTags("Redemption codes").RequireAuthorization(NexRelayAuth.AdminPolicy);
        admin.MapPost("/", MintAsync).WithName("MintRedemptionCodes");
        admin.MapGet("/", ListAsync).WithName("ListRedemptionBatches");
        admin.MapGet("/{batchId}", GetAsync).WithName("GetRedemptionBatch");
        admin.MapPost("/{batchId}/void", VoidBatchAsync).WithName("VoidRedemptionBatch");
        admin.MapPost("/void", VoidCodeAsync).WithName("VoidRedemptionCode");
        app.MapPost("/internal/redemptions", RedeemAsync).WithTags("Internal").WithName("Redeem");
        return app;
    }

    public static async Task<Results<Created<MintedBatchBody>, ValidationProblem>> MintAsync(HttpRequest request, RedemptionStore store,
        IOptions<RedemptionOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (body, errors) = await JsonBody.ReadAsync<MintBody>(request, cancellationToken);
        if (errors is not null) return Invalid(errors);
        errors = [];
        long micros = 0;
        if (body!.AmountUsd is not { } amount || amount <= 0 || amount > WalletsApi.MaxCreditUsd || !Micros.TryParseUsd(amount, out micros))
            errors["amount_usd"] = [$"Required: a number of USD above 0, at most {WalletsApi.MaxCreditUsd}, with at most 6 decimals."];
        if (body.Count is not (>= 1 and <= RedemptionOptions.MaxBatchSize))
            errors["count"] = [$"Required: how many codes, 1 to {RedemptionOptions.MaxBatchSize}."];
        if (body.ExpiresAt is not { } expiresAt || expiresAt <= clock.GetUtcNow())
            errors["expires_at"] = ["Required: when the codes stop working, a time in the future (RFC 3339)."];
        var note = body.Note?.Trim();
        if (note is not null && (note.Length > MaxNoteLength || note.Any(char.IsControl)))
            errors["note"] = [$"At most {MaxNoteLength} printable characters."];
        if (errors.Count > 0) return Invalid(errors);

        var codes = Enumerable.Range(0, body.Count!.Value).Select(_ => RedemptionCodes.Generate()).ToList();
        var hashes = codes.ConvertAll(c => RedemptionCodes.Hash(options.Value.HashSecret, RedemptionCodes.Normalize(c)!));
        var batch = await store.MintAsync(micros, body.ExpiresAt!.Value, string.IsNullOrEmpty(note) ? null : note, hashes, cancellationToken);
        return TypedResults.Created($"/admin/v1/redemption-codes/{batch.Id}", new MintedBatchBody(RedemptionBatchBody.From(batch), codes));
    }

    public static async Task<Results<Ok<RedemptionBatchPageBody>, ValidationProblem>> ListAsync(string? limit, string? cursor,
        RedemptionStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
            errors["limit"] = [$"An integer from 1 to {MaxLimit}."];
        Guid? before = null;
        if (cursor is not null)
        {
            if (Guid.TryParse(cursor, out var parsed)) before = parsed;
            else errors["cursor"] = ["Use the next_cursor of the previous page."];
        }
        if (errors.Count > 0) return Invalid(errors);
        var batches = await store.ListAsync(before, pageSize + 1, cancellationToken);
        var hasMore = batches.Count > pageSize;
        if (hasMore) batches.RemoveAt(batches.Count - 1);
        return TypedResults.Ok(new RedemptionBatchPageBody(batches.ConvertAll(RedemptionBatchBody.From), hasMore ? batches[^1].Id.ToString() : null));
    }

    public static async Task<Results<Ok<RedemptionBatchBody>, ProblemHttpResult>> GetAsync(string batchId, RedemptionStore store,
        CancellationToken cancellationToken)
    {
        var batch = Guid.TryParse(batchId, out var id) ? await store.GetAsync(id, cancellationToken) : null;
        return batch is null ? UnknownBatch(batchId) : TypedResults.Ok(RedemptionBatchBody.From(batch));
    }

    public static async Task<Results<Ok<RedemptionBatchBody>, ProblemHttpResult>> VoidBatchAsync(string batchId, RedemptionStore store,
        CancellationToken cancellationToken)
    {
        var batch = Guid.TryParse(batchId, out var id) ? await store.VoidBatchAsync(id, cancellationToken) : null;
        return batch is null ? UnknownBatch(batchId) : TypedResults.Ok(RedemptionBatchBody.From(batch));
    }

    public static async Task<Results<Ok<VoidedCodeBody>, ValidationProblem, ProblemHttpResult>> VoidCodeAsync(HttpRequest request,
        RedemptionStore store, IOptions<RedemptionOptions> options, CancellationToken cancellationToken)
    {
        var (body, errors) = await JsonBody.ReadAsync<VoidCodeBody>(request, cancellationToken);
        if (errors is not null) return Invalid(errors);
        if (RedemptionCodes.Normalize(body!.Code) is not { } code) return Invalid(new() { ["code"] = ["Required: a redemption code (NXR-…)."] });
        var (status, batchId) = await store.VoidCodeAsync(RedemptionCodes.Hash(options.Value.HashSecret, code), cancellationToken);
        return status switch
        {
            VoidStatus.Voided or VoidStatus.AlreadyVoided => TypedResults.Ok(new VoidedCodeBody(batchId!.Value, "voided")),
            VoidStatus.Redeemed => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Code already redeemed",
                detail: "code: this code was redeemed already; its credit stands (a wallet credit is undone only by an operator's adjustment).",
                type: ProblemTypes.Conflict),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown code", detail: "code: no such redemption code.",
                type: ProblemTypes.NotFound),
        };
    }

    /// <summary>
    /// Redeems a code into the key's wallet. A refusal is a 409 (used, voided, expired) or 404 (unknown) whose problem
    /// <c>code</c> extension the edge turns into the caller's error; nothing was changed.
    /// </summary>
    public static async Task<Results<Ok<RedeemedBody>, ValidationProblem, ProblemHttpResult>> RedeemAsync(HttpRequest request,
        RedemptionStore store, WalletStore wallets, IOptions<RedemptionOptions> options, CancellationToken cancellationToken)
    {
        var (body, errors) = await JsonBody.ReadAsync<RedeemBody>(request, cancellationToken);
        if (errors is not null) return Invalid(errors);
        if (body!.WalletId is not { } walletId || body.KeyId is not { } keyId)
            return Invalid(new() { ["wallet_id"] = ["Required: the key's wallet and key ids."] });
        if (RedemptionCodes.Normalize(body.Code) is not { } code) return Refused(RedeemStatus.Unknown);
        var result = await store.RedeemAsync(RedemptionCodes.Hash(options.Value.HashSecret, code), walletId, keyId, cancellationToken);
        if (result.Status != RedeemStatus.Redeemed) return Refused(result.Status);
        var wallet = await wallets.GetAsync(walletId, cancellationToken);
        return TypedResults.Ok(new RedeemedBody(Micros.ToUsd(result.Amount!.Value), result.BatchId!.Value, result.EntryId!.Value,
            Micros.ToUsd(wallet?.Balance ?? 0)));
    }

    private static ProblemHttpResult Refused(RedeemStatus status)
    {
        var (code, detail) = status switch
        {
            RedeemStatus.Used => ("code_already_redeemed", "This code was redeemed already."),
            RedeemStatus.Voided => ("code_voided", "This code was voided by the operator."),
            RedeemStatus.Expired => ("code_expired", "This code has expired."),
            RedeemStatus.NoWallet => ("wallet_not_found", "The key's wallet does not exist."),
            _ => ("code_not_found", "No such redemption code."),
        };
        return TypedResults.Problem(statusCode: status is RedeemStatus.Unknown or RedeemStatus.NoWallet ? 404 : 409, title: "Code refused",
            detail: detail, type: status is RedeemStatus.Unknown or RedeemStatus.NoWallet ? ProblemTypes.NotFound : ProblemTypes.Conflict,
            extensions: new Dictionary<string, object?> { ["code"] = code });
    }

    private static ProblemHttpResult UnknownBatch(string id) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound,
        title: "Unknown batch", detail: $"batch_id: no redemption batch '{id}'.", type: ProblemTypes.NotFound);

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);
}
