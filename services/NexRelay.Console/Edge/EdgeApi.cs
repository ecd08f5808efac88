using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Console.Sessions;

namespace NexRelay.Console.Edge;

/// <summary>
/// The console's one source of data: the edge's public, self-service and admin APIs, called with the signed-in person's
/// own credential (a key holder's API key, an operator's admin token). No database, no second copy of a rule: what the
/// API refuses, the console shows refused, in the API's words.
/// </summary>
public sealed class EdgeApi(HttpClient http, ILogger<EdgeApi> logger)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    // ---- key holder (self-service) -----------------------------------------------------------------------------------
    public async Task<ApiResult<KeyInfo>> GetKeyAsync(string apiKey, CancellationToken ct) =>
        Unwrap(await SendAsync<DataEnvelope<KeyInfo>>(HttpMethod.Get, "/api/v1/key", apiKey, null, ct));

    public async Task<ApiResult<Credits>> GetCreditsAsync(string apiKey, CancellationToken ct) =>
        Unwrap(await SendAsync<DataEnvelope<Credits>>(HttpMethod.Get, "/api/v1/credits", apiKey, null, ct));

    public Task<ApiResult<ModelList>> ListModelsAsync(string apiKey, CancellationToken ct) =>
        SendAsync<ModelList>(HttpMethod.Get, "/api/v1/models", apiKey, null, ct);

    // ---- logs and usage: a key holder's own (/api/v1, the edge pins the key) or any (/admin/v1) ----------------------
    public Task<ApiResult<LogPage>> ListLogsAsync(ConsoleSession session, LogQuery query, CancellationToken ct) =>
        SendAsync<LogPage>(HttpMethod.Get, LogsPath(session) + query.ToQueryString(session.IsOperator), session.Credential, null, ct);

    public Task<ApiResult<LogEntry>> GetLogAsync(ConsoleSession session, string requestId, CancellationToken ct) =>
        SendAsync<LogEntry>(HttpMethod.Get, $"{LogsPath(session)}/{Uri.EscapeDataString(requestId)}", session.Credential, null, ct);

    public Task<ApiResult<UsageReport>> GetUsageAsync(ConsoleSession session, UsageQuery query, CancellationToken ct) =>
        SendAsync<UsageReport>(HttpMethod.Get, (session.IsOperator ? "/admin/v1/usage" : "/api/v1/usage") + query.ToQueryString(session.IsOperator),
            session.Credential, null, ct);

    /// <summary>The logs as CSV, streamed from the edge (the caller copies the body to its own response and disposes it).</summary>
    public async Task<HttpResponseMessage> OpenLogsCsvAsync(ConsoleSession session, LogQuery query, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, LogsPath(session) + (query with { Cursor = null, Limit = null }).ToQueryString(session.IsOperator));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.Credential);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    private static string LogsPath(ConsoleSession session) => session.IsOperator ? "/admin/v1/logs" : "/api/v1/logs";

    // ---- operator (admin API) ----------------------------------------------------------------------------------------
    public Task<ApiResult<WalletPage>> ListWalletsAsync(string adminToken, string? search, string? cursor, CancellationToken ct) =>
        SendAsync<WalletPage>(HttpMethod.Get, "/admin/v1/wallets" + Query(("q", search), ("cursor", cursor), ("limit", "25")), adminToken, null, ct);

    public Task<ApiResult<Wallet>> GetWalletAsync(string adminToken, Guid id, CancellationToken ct) =>
        SendAsync<Wallet>(HttpMethod.Get, $"/admin/v1/wallets/{id}", adminToken, null, ct);

    public Task<ApiResult<Wallet>> CreateWalletAsync(string adminToken, string? name, CancellationToken ct) =>
        SendAsync<Wallet>(HttpMethod.Post, "/admin/v1/wallets", adminToken, new JsonObject { ["name"] = name }, ct);

    public Task<ApiResult<LedgerEntry>> CreditAsync(string adminToken, Guid walletId, decimal? amountUsd, string? reference, CancellationToken ct) =>
        SendAsync<LedgerEntry>(HttpMethod.Post, $"/admin/v1/wallets/{walletId}/credits", adminToken,
            new JsonObject { ["amount_usd"] = amountUsd, ["reference"] = reference }, ct);

    public Task<ApiResult<LedgerPage>> GetLedgerAsync(string adminToken, Guid walletId, string? cursor, CancellationToken ct) =>
        SendAsync<LedgerPage>(HttpMethod.Get, $"/admin/v1/wallets/{walletId}/ledger" + Query(("cursor", cursor), ("limit", "25")), adminToken, null, ct);

    public Task<ApiResult<KeyPage>> ListKeysAsync(string adminToken, Guid? walletId, string? search, string? status, string? cursor, CancellationToken ct) =>
        SendAsync<KeyPage>(HttpMethod.Get, "/admin/v1/keys" + Query(("wallet_id", walletId?.ToString()), ("q", search), ("status", status), ("cursor", cursor), ("limit", "25")),
            adminToken, null, ct);

    public Task<ApiResult<AdminKey>> GetAdminKeyAsync(string adminToken, Guid id, CancellationToken ct) =>
        SendAsync<AdminKey>(HttpMethod.Get, $"/admin/v1/keys/{id}", adminToken, null, ct);

    public Task<ApiResult<AdminKey>> CreateKeyAsync(string adminToken, JsonObject body, CancellationToken ct) =>
        SendAsync<AdminKey>(HttpMethod.Post, "/admin/v1/keys", adminToken, body, ct);

    public Task<ApiResult<AdminKey>> UpdateKeyAsync(string adminToken, Guid id, JsonObject patch, CancellationToken ct) =>
        SendAsync<AdminKey>(HttpMethod.Patch, $"/admin/v1/keys/{id}", adminToken, patch, ct);

    public Task<ApiResult<AdminKey>> RotateKeyAsync(string adminToken, Guid id, CancellationToken ct) =>
        SendAsync<AdminKey>(HttpMethod.Post, $"/admin/v1/keys/{id}/rotate", adminToken, null, ct);

    public Task<ApiResult<AdminKey>> RevokeKeyAsync(string adminToken, Guid id, CancellationToken ct) =>
        SendAsync<AdminKey>(HttpMethod.Delete, $"/admin/v1/keys/{id}", adminToken, null, ct);

    /// <summary>Whether the token opens the admin API (sign-in): any admin read answers 200 for the right token only.</summary>
    public async Task<ApiResult<WalletPage>> CheckAdminTokenAsync(string adminToken, CancellationToken ct) =>
        await SendAsync<WalletPage>(HttpMethod.Get, "/admin/v1/wallets?limit=1", adminToken, null, ct);

    // ---- plumbing ----------------------------------------------------------------------------------------------------
    internal static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, string credential, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                var value = await response.Content.ReadFromJsonAsync<T>(Json, ct);
                return value is null ? ApiResult<T>.Failure(response.StatusCode, "The API answered with an empty body.") : ApiResult<T>.Success(value, response.StatusCode);
            }
            return await FailureAsync<T>(response, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            // The path only: a query may hold a search term, and the credential is never logged.
            logger.LogWarning(ex, "Console call {Method} {Path} failed", method, path.Split('?')[0]);
            return ApiResult<T>.Failure(HttpStatusCode.BadGateway, "NexRelay's API could not be reached. Try again in a moment.");
        }
    }

    /// <summary>The API's own error words: a problem document (admin API) or an OpenAI error envelope (self-service).</summary>
    private static async Task<ApiResult<T>> FailureAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? message = null;
        try
        {
            var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
            if (node?["error"] is JsonObject error)
            {
                message = error["message"]?.GetValue<string>();
                if (error["param"]?.GetValue<string>() is { } param && message is not null) fields[param] = [message];
            }
            else if (node is JsonObject problem)
            {
                message = problem["detail"]?.GetValue<string>() ?? problem["title"]?.GetValue<string>();
                if (problem["errors"] is JsonObject errors)
                {
                    foreach (var (name, value) in errors)
                        fields[name] = value is JsonArray list ? [.. list.Select(v => v?.ToString() ?? "")] : [value?.ToString() ?? ""];
                    message ??= "The request has invalid fields.";
                }
            }
        }
        catch (JsonException)
        {
        }
        message ??= string.Create(CultureInfo.InvariantCulture, $"The API answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        return ApiResult<T>.Failure(response.StatusCode, message, fields);
    }

    private static ApiResult<T> Unwrap<T>(ApiResult<DataEnvelope<T>> result) where T : class =>
        result.Ok ? ApiResult<T>.Success(result.Value!.Data, result.Status) : ApiResult<T>.Failure(result.Status, result.Message!, result.FieldErrors);
}
