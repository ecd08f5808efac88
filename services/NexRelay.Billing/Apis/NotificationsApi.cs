using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using NexRelay.Billing.Notifications;
using NexRelay.Contracts.Money;
using NexRelay.ServiceDefaults.Auth;

namespace NexRelay.Billing.Apis;

/// <summary>
/// A wallet's notification settings and delivery log, under <c>/admin/v1/wallets/{id}/notifications</c> (admin token). The
/// edge forwards operators here as they are, and key holders (<c>/api/v1/notifications</c>) for their own key's wallet.
/// </summary>
public static class NotificationsApi
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 500;

    public static RouteGroupBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/v1/wallets/{id}/notifications").WithTags("Notifications").RequireAuthorization(NexRelayAuth.AdminPolicy);
        group.MapPut("/settings", PutSettingsAsync).WithName("PutNotificationSettings");
        group.MapGet("/settings", GetSettingsAsync).WithName("GetNotificationSettings");
        group.MapDelete("/settings", DeleteSettingsAsync).WithName("DeleteNotificationSettings");
        group.MapGet("/", ListDeliveriesAsync).WithName("ListNotifications");
        return group;
    }

    public static async Task<Results<Ok<SettingsBody>, ValidationProblem, ProblemHttpResult>> PutSettingsAsync(
        string id, HttpRequest request, NotificationStore store, WebhookAddressGuard guard, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var walletId)) return WalletsApi.UnknownWallet(id);
        var (body, errors) = await JsonBody.ReadAsync<SettingsRequest>(request, cancellationToken);
        if (errors is not null) return Invalid(errors);

        errors = [];
        if (await guard.RefusalAsync(body!.Url?.Trim(), cancellationToken) is { } refusal) errors["url"] = [refusal];
        long micros = 0;
        if (body.BalanceBelowUsd is not { } below || below < 0 || below > WalletsApi.MaxCreditUsd || !Micros.TryParseUsd(below, out micros))
            errors["balance_below_usd"] = [$"Required: a number of USD from 0 to {WalletsApi.MaxCreditUsd}, with at most 6 decimals (an event is sent when the balance falls below it)."];
        if (errors.Count > 0) return Invalid(errors);

        if (await store.UpsertSettingsAsync(walletId, body.Url!.Trim(), micros, body.BudgetAlerts ?? true, cancellationToken) is not var (settings, created))
            return WalletsApi.UnknownWallet(id);
        // 200 either way (PUT sets the wallet's one set of settings); the secret is in the answer that created them, only.
        return TypedResults.Ok(SettingsBody.From(settings, showSecret: created));
    }

    public static async Task<Results<Ok<SettingsBody>, ProblemHttpResult>> GetSettingsAsync(string id, NotificationStore store, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var walletId)) return WalletsApi.UnknownWallet(id);
        var settings = await store.GetSettingsAsync(walletId, cancellationToken);
        return settings is null ? NoSettings(id) : TypedResults.Ok(SettingsBody.From(settings, showSecret: false));
    }

    public static async Task<Results<Ok<SettingsBody>, ProblemHttpResult>> DeleteSettingsAsync(string id, NotificationStore store, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var walletId)) return WalletsApi.UnknownWallet(id);
        var settings = await store.DeleteSettingsAsync(walletId, cancellationToken);
        return settings is null ? NoSettings(id) : TypedResults.Ok(SettingsBody.From(settings, showSecret: false));
    }

    public static async Task<Results<Ok<DeliveryPageBody>, ValidationProblem>> ListDeliveriesAsync(
        string id, string? limit, string? cursor, NotificationStore store, CancellationToken cancellationToken)
    {
        var (pageSize, before) = SequencePageQuery.Parse(limit, cursor, DefaultLimit, MaxLimit, out var errors);
        if (errors.Count > 0) return Invalid(errors);
        // An unknown wallet has no deliveries: an empty page, as for a wallet that never had settings.
        if (!Guid.TryParse(id, out var walletId)) return TypedResults.Ok(new DeliveryPageBody([], null));
        var page = await store.DeliveriesPageAsync(walletId, before, pageSize + 1, cancellationToken);
        var hasMore = page.Count > pageSize;
        if (hasMore) page.RemoveAt(page.Count - 1);
        return TypedResults.Ok(new DeliveryPageBody(page.ConvertAll(DeliveryBody.From),
            hasMore ? page[^1].Seq.ToString(CultureInfo.InvariantCulture) : null));
    }

    private static ProblemHttpResult NoSettings(string id) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound,
        title: "No notification settings", detail: $"The wallet '{id}' has no notification settings.", type: ProblemTypes.NotFound);

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, type: ProblemTypes.InvalidRequest);
}

/// <param name="BudgetAlerts">Events when a key's budget reaches 80 % and 100 % of its period; on unless false.</param>
public sealed record SettingsRequest(string? Url, decimal? BalanceBelowUsd, bool? BudgetAlerts);

/// <summary>The settings; <c>signing_secret</c> only in the answer that created them.</summary>
public sealed record SettingsBody(Guid WalletId, string Url, decimal? BalanceBelowUsd, bool BudgetAlerts, string SecretHint,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? SigningSecret,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static SettingsBody From(NotificationSettings s, bool showSecret) => new(s.WalletId, s.Url,
        s.BalanceBelow is { } b ? Micros.ToUsd(b) : null, s.BudgetAlerts, s.Secret[..12] + "…" + s.Secret[^4..], showSecret ? s.Secret : null, s.CreatedAt, s.UpdatedAt);
}

public sealed record AttemptBody(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, string? Error);

public sealed record DeliveryBody(Guid Id, string Type, string State, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt,
    DateTimeOffset? NextAttemptAt, JsonNode? Event, IReadOnlyList<AttemptBody> AttemptLog)
{
    public static DeliveryBody From(Delivery d) => new(d.Id, d.EventType, d.State, d.Attempts, d.CreatedAt, d.FinishedAt,
        d.State == "pending" ? d.NextAttemptAt : null, JsonNode.Parse(d.Body),
        d.AttemptLog.ConvertAll(a => new AttemptBody(a.Attempt, a.AttemptedAt, a.StatusCode, a.Error)));
}

public sealed record DeliveryPageBody(IReadOnlyList<DeliveryBody> Data, string? NextCursor);
