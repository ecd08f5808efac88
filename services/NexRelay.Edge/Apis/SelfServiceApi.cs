using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
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
        var group = app.MapGroup("/api/v1").WithTags("Self-service");
        group.MapGet("/key", GetKeyAsync).WithName("GetKey")
            .WithApiDoc(PublicApiDocs.GetKey);
        group.MapGet("/credits", GetCreditsAsync).WithName("GetCredits")
            .WithApiDoc(PublicApiDocs.GetCredits);
        group.MapGet("/logs", (HttpContext http, KeyGate gate, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardToLoggingAsync(http, gate, clients, admin, loggers, "/admin/v1/logs")).WithName("ListLogs")
            .WithApiDoc(PublicApiDocs.ListLogs);
        group.MapGet("/logs/{requestId}", (HttpContext http, string requestId, KeyGate gate, IHttpClientFactory clients, IOptions<AdminOptions> admin,
            ILoggerFactory loggers) =>
            ForwardToLoggingAsync(http, gate, clients, admin, loggers, "/admin/v1/logs/" + Uri.EscapeDataString(requestId))).WithName("GetLog")
            .WithApiDoc(PublicApiDocs.GetLog);
        group.MapGet("/usage", (HttpContext http, KeyGate gate, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardToLoggingAsync(http, gate, clients, admin, loggers, "/admin/v1/usage")).WithName("GetUsage")
            .WithApiDoc(PublicApiDocs.GetUsage);
        return app;
    }

    private static async Task GetKeyAsync(HttpContext http, KeyGate gate, IHttpClientFactory clients)
    {
        var admission = await gate.AuthenticateAsync(http.Request, http.RequestAborted);
        if (admission.Error is not null) { await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, admission.Error); return; }
        var key = admission.Key!;
        var p = key.Policy;
        var data = new JsonObject
        {
            ["id"] = key.Id,
            ["name"] = key.Name,
            ["hint"] = key.Hint,
            ["wallet_id"] = key.WalletId,
            ["allowed_models"] = new JsonArray([.. p.AllowedModels.Select(m => (JsonNode?)m)]),
            ["max_output_tokens"] = p.MaxOutputTokens,
            ["output_cap_mode"] = p.OutputCapMode,
            ["budget_usd"] = p.BudgetMicros is { } b ? Micros.ToUsd(b) : null,
            ["budget_period"] = p.BudgetPeriod,
            ["rpm"] = p.Rpm,
            ["tpm"] = p.Tpm,
            ["expires_at"] = key.ExpiresAt,
            ["log_bodies"] = p.LogBodies,
        };
        if (p.BudgetMicros is { } budget)
        {
            var path = $"/internal/budgets/{key.Id}?budget_micros={budget.ToString(CultureInfo.InvariantCulture)}&period={Uri.EscapeDataString(p.BudgetPeriod)}";
            var usage = await GetJsonAsync(clients, ResourceNames.Billing, path, http.RequestAborted);
            if (usage is null) { await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, BillingDown()); return; }
            data["budget_period_key"] = usage["period_key"]?.DeepClone();
            data["budget_used_usd"] = usage["used_usd"]?.DeepClone();
            data["budget_reserved_usd"] = usage["reserved_usd"]?.DeepClone();
            data["budget_remaining_usd"] = usage["remaining_usd"]?.DeepClone();
        }
        await WriteDataAsync(http, data);
    }

    private static async Task GetCreditsAsync(HttpContext http, KeyGate gate, IHttpClientFactory clients)
    {
        var admission = await gate.AuthenticateAsync(http.Request, http.RequestAborted);
        if (admission.Error is not null) { await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, admission.Error); return; }
        var wallet = await GetJsonAsync(clients, ResourceNames.Billing, $"/internal/wallets/{admission.Key!.WalletId}", http.RequestAborted);
        if (wallet is null) { await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, BillingDown()); return; }
        await WriteDataAsync(http, new JsonObject
        {
            ["balance_usd"] = wallet["balance_usd"]?.DeepClone(),
            ["reserved_usd"] = wallet["reserved_usd"]?.DeepClone(),
            ["available_usd"] = wallet["available_usd"]?.DeepClone(),
        });
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

    private static async Task ForwardToLoggingAsync(HttpContext http, KeyGate gate, IHttpClientFactory clients, IOptions<AdminOptions> admin,
        ILoggerFactory loggers, string path)
    {
        var admission = await gate.AuthenticateAsync(http.Request, http.RequestAborted);
        if (admission.Error is not null) { await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, admission.Error); return; }
        using var request = ForwardedCall.BuildRequest(http.Request, path + "?" + LoggingQuery(http.Request.Query, admission.Key!.Id));
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
                    await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, status == 404
                        ? new EdgeError(ErrorKind.NotFound, problem.Detail ?? "No such request log for this key.", "not_found", problem.Param)
                        : new EdgeError(ErrorKind.InvalidRequest, problem.Detail ?? "Invalid query parameter.", "invalid_request", problem.Param));
                    return;
                }
                // Anything else is between the edge and the logging service (a token, a failure): not the caller's to read.
                loggers.CreateLogger("NexRelay.Edge.SelfService").LogWarning("Self-service log query answered {Status}", status);
                await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, LogsUnavailable());
                return;
            }
            await ForwardedCall.CopyResponseAsync(response, http);
        }
        catch (Exception ex) when (ForwardedCall.IsUnavailable(ex, http))
        {
            await ErrorWriters.WriteAsync(http, ClientFormat.OpenAIChat, LogsUnavailable());
        }
    }

    private static async Task<(string? Detail, string? Param)> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
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

    private static async Task<JsonObject?> GetJsonAsync(IHttpClientFactory clients, string service, string path, CancellationToken ct)
    {
        try
        {
            using var response = await clients.CreateClient(service).GetAsync(path, ct);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>(ct) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.ExecutionRejectedException
            or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static EdgeError BillingDown() => new(ErrorKind.Unavailable, "Billing is unreachable; try again shortly.", "billing_unavailable");

    private static EdgeError LogsUnavailable() => new(ErrorKind.Unavailable, "The logs cannot be read right now; try again shortly.", "logs_unavailable");

    private static async Task WriteDataAsync(HttpContext http, JsonObject data)
    {
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject { ["data"] = data }.ToJsonString(), http.RequestAborted);
    }
}
