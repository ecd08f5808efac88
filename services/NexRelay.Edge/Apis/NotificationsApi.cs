using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using NexRelay.Edge.Admin;
using NexRelay.Edge.Docs;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;
using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Apis;

/// <summary>
/// A key holder's balance and budget notifications, for the key's own wallet: <c>PUT/GET/DELETE /api/v1/notifications/settings</c>
/// and the delivery log <c>GET /api/v1/notifications</c>. Billing owns them (its admin routes under
/// <c>/admin/v1/wallets/{id}/notifications</c>, which operators reach through the admin API); the edge forwards with the
/// admin token and the wallet of the calling key, so a key can only ever name its own wallet. Errors in OpenAI's envelope.
/// </summary>
internal static class NotificationsApi
{
    private const int MaxSettingsBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/notifications").WithTags("Self-service").Speaks(ClientFormat.OpenAIChat).RequireKey();
        group.MapPut("/settings", (HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardAsync(http, clients, admin, loggers, "/notifications/settings", wrap: true)).WithName("PutNotificationSettings")
            .WithApiDoc(PublicApiDocs.PutNotificationSettings);
        group.MapGet("/settings", (HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardAsync(http, clients, admin, loggers, "/notifications/settings", wrap: true)).WithName("GetNotificationSettings")
            .WithApiDoc(PublicApiDocs.GetNotificationSettings);
        group.MapDelete("/settings", (HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardAsync(http, clients, admin, loggers, "/notifications/settings", wrap: true)).WithName("DeleteNotificationSettings")
            .WithApiDoc(PublicApiDocs.DeleteNotificationSettings);
        group.MapGet("", (HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers) =>
            ForwardAsync(http, clients, admin, loggers, "/notifications", wrap: false)).WithName("ListNotifications")
            .WithApiDoc(PublicApiDocs.ListNotifications);
        return app;
    }

    /// <summary>The paging parameters a key holder may pass on; nothing else reaches billing.</summary>
    private static readonly string[] Paging = ["limit", "cursor"];

    private static async Task ForwardAsync(HttpContext http, IHttpClientFactory clients, IOptions<AdminOptions> admin, ILoggerFactory loggers,
        string path, bool wrap)
    {
        var query = string.Join('&', Paging.SelectMany(name => http.Request.Query[name].Select(v => $"{name}={Uri.EscapeDataString(v ?? "")}")));
        using var request = ForwardedCall.BuildRequest(http.Request,
            $"/admin/v1/wallets/{http.AdmittedKey().WalletId}{path}" + (query.Length > 0 ? "?" + query : ""));
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + admin.Value.AdminToken);
        if (HttpMethods.IsPut(http.Request.Method))
        {
            if (http.Request.ContentLength > MaxSettingsBytes)
            {
                await ErrorWriters.WriteAsync(http, http.ClientFormat(), new EdgeError(ErrorKind.TooLarge, $"At most {MaxSettingsBytes} bytes.", "body_too_large"));
                return;
            }
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            if (buffer.Length > MaxSettingsBytes)
            {
                await ErrorWriters.WriteAsync(http, http.ClientFormat(), new EdgeError(ErrorKind.TooLarge, $"At most {MaxSettingsBytes} bytes.", "body_too_large"));
                return;
            }
            request.Content = new ByteArrayContent(buffer.ToArray());
            request.Content.Headers.ContentType = new("application/json");
        }
        try
        {
            using var response = await clients.CreateClient(ResourceNames.Billing).SendAsync(request, http.RequestAborted);
            var status = (int)response.StatusCode;
            if (status is 400 or 404)
            {
                // About the caller's own input, or settings they have not made: billing's words in OpenAI's envelope.
                var problem = await SelfServiceApi.ReadProblemAsync(response, http.RequestAborted);
                await ErrorWriters.WriteAsync(http, http.ClientFormat(), status == 404
                    ? new EdgeError(ErrorKind.NotFound, "This key's wallet has no notification settings.", "not_found")
                    : new EdgeError(ErrorKind.InvalidRequest, problem.Detail ?? "Invalid notification settings.", "invalid_request", problem.Param));
                return;
            }
            if (!response.IsSuccessStatusCode)
            {
                loggers.CreateLogger("NexRelay.Edge.Notifications").LogWarning("Notification call answered {Status}", status);
                await ErrorWriters.WriteAsync(http, http.ClientFormat(), Unavailable());
                return;
            }
            var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(http.RequestAborted));
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync((wrap ? new JsonObject { ["data"] = node } : node)?.ToJsonString() ?? "null", http.RequestAborted);
        }
        catch (Exception ex) when (ForwardedCall.IsUnavailable(ex, http) || ex is System.Text.Json.JsonException)
        {
            await ErrorWriters.WriteAsync(http, http.ClientFormat(), Unavailable());
        }
    }

    private static EdgeError Unavailable() =>
        new(ErrorKind.Unavailable, "Notifications cannot be read or changed right now; try again shortly.", "notifications_unavailable");
}
