using NexRelay.Console.Edge;
using NexRelay.Console.Sessions;

namespace NexRelay.Console.Downloads;

/// <summary>
/// CSV downloads of a filtered request log: the edge's own CSV export (<c>Accept: text/csv</c>), streamed through without
/// being held in memory. A key holder's is pinned to their key by the edge; an operator's may name a wallet or key.
/// </summary>
internal static class DownloadsApi
{
    public static IEndpointRouteBuilder MapDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/downloads/requests.csv", DownloadAsync).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    private static async Task DownloadAsync(HttpContext http, EdgeApi edge, string? model, string? status, string? from, string? to,
        Guid? wallet_id, Guid? key_id)
    {
        var session = http.Session();
        using var upstream = await edge.OpenLogsCsvAsync(session, new LogQuery(model, status, from, to, WalletId: wallet_id, KeyId: key_id), http.RequestAborted);
        http.Response.StatusCode = (int)upstream.StatusCode;
        if (!upstream.IsSuccessStatusCode)
        {
            // The API's error, as text: the download link is followed by a browser, not parsed by a program.
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync($"The export was refused ({(int)upstream.StatusCode}): {await upstream.Content.ReadAsStringAsync(http.RequestAborted)}");
            return;
        }
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"nexrelay-requests-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv\"";
        await using var body = await upstream.Content.ReadAsStreamAsync(http.RequestAborted);
        await body.CopyToAsync(http.Response.Body, http.RequestAborted);
    }
}
