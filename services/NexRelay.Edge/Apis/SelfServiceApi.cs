using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Options;
using NexRelay.Billing.Client;
using NexRelay.Contracts.Money;
using NexRelay.Edge.Admin;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;
using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Apis;

/// <summary>
/// What a key holder may see about their own key: <c>/api/v1/key</c>, <c>/api/v1/credits</c>, <c>/api/v1/logs</c>,
/// <c>/api/v1/usage</c>. Answers are <c>{"data":…}</c>; errors are in OpenAI's envelope. Log queries are forwarded to the
/// logging service with the caller's filters and <c>key_id</c> set to the caller's key, so a key never sees another key's rows.
/// </summary>
internal static class SelfServiceApi
{
    public static IEndpointRouteBuilder MapSelfServiceApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1").WithTags("Self-service").Speaks(ClientFormat.OpenAIChat).RequireKey();
        group.MapGet("/key", GetKeyAsync).WithName("GetKey")
            .WithApiDoc(PublicApiDocs.GetKey);
        group.MapGet("/credits", GetCreditsAsync).WithName("GetCredits")
            .WithApiDoc(PublicApiDocs.GetCredits);
        group.MapGet("/logs", (HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardToLoggingAsync(http, clients, admin, loggers, "/admin/v1/logs")).WithName("ListLogs")
            .WithApiDoc(PublicApiDocs.ListLogs);
        group.MapGet("/logs/{requestId}", (HttpContext http, string requestId, IHttpClientFactory clients, IOptions<AdminOptions> admin,
            ILoggerFactory loggers) =>
            ForwardToLoggingAsync(http, clients, admin, loggers, "/admin/v1/logs/" + Uri.EscapeDataString(requestId))).WithName("GetLog")
            .WithApiDoc(PublicApiDocs.GetLog);
        group.MapGet("/usage", (HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardToLoggingAsync(http, clients, admin, loggers, "/admin/v1/usage")).WithName("GetUsage")
            .WithApiDoc(PublicApiDocs.GetUsage);
        return app;
    }

    private static async Task GetKeyAsync(HttpContext http, IHttpClientFactory clients)
    {
        var key = http.AdmittedKey();
        var p = key.Policy;
        BudgetAnswer? budget = null;
        if (p.BudgetMicros is { } budgetMicros)
        {
            budget = await ReadBillingAsync(b => b.GetBudgetAsync(key.Id, budgetMicros, p.BudgetPeriod, http.RequestAborted), clients, http.RequestAborted);
            if (budget is null) { await ErrorWriters.WriteAsync(http, http.ClientFormat(), BillingDown()); return; }
        }
        await WriteDataAsync(http, new KeyBody(key.Id, key.Name, key.Hint, key.WalletId, p.AllowedModels, p.MaxOutputTokens, p.OutputCapMode,
            p.BudgetMicros is { } b ? Micros.ToUsd(b) : null, p.BudgetPeriod, p.Rpm, p.Tpm, key.ExpiresAt, p.LogBodies,
            budget?.PeriodKey, budget?.UsedUsd, budget?.ReservedUsd, budget?.RemainingUsd), SelfServiceJson.Default.DataKeyBody);
    }

    private static async Task GetCreditsAsync(HttpContext http, IHttpClientFactory clients)
    {
        var wallet = await ReadBillingAsync(b => b.GetWalletAsync(http.AdmittedKey().WalletId, http.RequestAborted), clients, http.RequestAborted);
        if (wallet is null) { await ErrorWriters.WriteAsync(http, http.ClientFormat(), BillingDown()); return; }
        await WriteDataAsync(http, new CreditsBody(wallet.BalanceUsd, wallet.ReservedUsd, wallet.AvailableUsd), SelfServiceJson.Default.DataCreditsBody);
    }

    /// <summary>The filters a key holder may set, under the names the logging service reads.</summary>
    private static readonly string[] CallerFilters = ["model", "status", "from", "to", "limit", "cursor", "group_by"];

    /// <summary>
    /// The query forwarded to the logging service: the caller's filters (query names match whatever their case, as ASP.NET
    /// binds them) and the caller's own key id. Nothing else passes, so no spelling of <c>key_id</c> or <c>wallet_id</c>
    /// can stand beside the key's own filter.
    /// </summary>
    internal static string LoggingQuery(IQueryCollection query, Guid keyId) => string.Join('&', CallerFilters
        .SelectMany(name => query[name].Select(value => $"{name}={Uri.EscapeDataString(value ?? "")}"))
        .Append($"key_id={keyId}"));

    private static async Task ForwardToLoggingAsync(HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin,
        ILoggerFactory loggers, string path)
    {
        using var request = ForwardedCall.BuildRequest(http.Request, path + "?" + LoggingQuery(http.Request.Query, http.AdmittedKey().Id));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + admin.Value.AdminToken);
        try
        {
            using var response = await clients.CreateClient(ResourceNames.Logging).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                if (status is 400 or 404)
                {
                    // About the caller's own parameters or request id: logging's words, re-told in OpenAI's envelope.
                    var problem = await ReadProblemAsync(response, http.RequestAborted);
                    await ErrorWriters.WriteAsync(http, http.ClientFormat(), status == 404
                        ? new EdgeError(ErrorKind.NotFound, problem.Detail ?? "No such request log for this key.", "not_found", problem.Param)
                        : new EdgeError(ErrorKind.InvalidRequest, problem.Detail ?? "Invalid query parameter.", "invalid_request", problem.Param));
                    return;
                }
                // Anything else is between the edge and the logging service (a token, a failure): not the caller's to read.
                loggers.CreateLogger("NexRelay.Edge.SelfService").LogWarning("Self-service log query answered {Status}", status);
                await ErrorWriters.WriteAsync(http, http.ClientFormat(), LogsUnavailable());
                return;
            }
            await ForwardedCall.CopyResponseAsync(response, http);
        }
        catch (Exception ex) when (ForwardedCall.IsUnavailable(ex, http))
        {
            await ErrorWriters.WriteAsync(http, http.ClientFormat(), LogsUnavailable());
        }
    }

    internal static async Task<(string? Detail, string? Param)> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var node = await response.Content.ReadFromJsonAsync<JsonObject>(ct);
            var param = node?["errors"] is JsonObject errors ? errors.Select(e => e.Key).FirstOrDefault() : null;
            var detail = node?["detail"]?.GetValue<string>();
            if (param is not null && node?["errors"]?[param] is JsonArray msgs && msgs.Count > 0) detail ??= msgs[0]?.GetValue<string>();
            return (detail ?? node?["title"]?.GetValue<string>(), param);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException)
        {
            return (null, null);
        }
    }

    /// <summary>One of billing's reads (<see cref="BillingReads"/>), or null when billing cannot answer it: the caller's 503.</summary>
    private static async Task<T?> ReadBillingAsync<T>(Func<HttpClient, Task<T?>> read, IHttpClientFactory clients, CancellationToken ct) where T : class
    {
        try
        {
            return await read(clients.CreateClient(ResourceNames.Billing));
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.ExecutionRejectedException
            or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static EdgeError BillingDown() => new(ErrorKind.Unavailable, "Billing is unreachable; try again shortly.", "billing_unavailable");

    private static EdgeError LogsUnavailable() => new(ErrorKind.Unavailable, "The logs cannot be read right now; try again shortly.", "logs_unavailable");

    private static Task WriteDataAsync<T>(HttpContext http, T data, JsonTypeInfo<Data<T>> type) =>
        http.Response.WriteAsJsonAsync(new Data<T>(data), type, "application/json", http.RequestAborted);
}

/// <summary>Self-service answers are <c>{"data":…}</c>.</summary>
internal sealed record Data<T>([property: JsonPropertyName("data")] T Value);

/// <summary><c>GET /api/v1/key</c>: the key's policy, and with a budget its use in the current period (billing's figures).</summary>
internal sealed record KeyBody(
    Guid Id, string Name, string Hint, Guid WalletId, IReadOnlyList<string> AllowedModels, int? MaxOutputTokens, string OutputCapMode,
    decimal? BudgetUsd, string BudgetPeriod, int? Rpm, int? Tpm, DateTimeOffset? ExpiresAt, bool LogBodies,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? BudgetPeriodKey,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? BudgetUsedUsd,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? BudgetReservedUsd,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? BudgetRemainingUsd);

/// <summary><c>GET /api/v1/credits</c>: the key's wallet.</summary>
internal sealed record CreditsBody(decimal BalanceUsd, decimal ReservedUsd, decimal AvailableUsd);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Data<KeyBody>), TypeInfoPropertyName = "DataKeyBody")]
[JsonSerializable(typeof(Data<CreditsBody>), TypeInfoPropertyName = "DataCreditsBody")]
internal sealed partial class SelfServiceJson : JsonSerializerContext;
