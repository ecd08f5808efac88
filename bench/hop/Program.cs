// The bare hop: what any .NET relay pays between a client and the upstream (Kestrel in, SocketsHttpHandler out) and
// nothing NexRelay adds: no key, policy, hold, translation, settlement, log event or telemetry. bench/run.sh measures it
// beside the edge so the added latency splits into the hop's share and NexRelay's own.
//   dotnet NexRelay.Bench.Hop.dll --urls http://127.0.0.1:PORT --upstream http://127.0.0.1:SIM/v1/chat/completions
using System.Net.Http.Headers;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var upstream = new Uri(builder.Configuration["upstream"] ?? throw new InvalidOperationException("--upstream URL is required"));

// One pooled client, as the edge keeps one per upstream; no proxy, redirects, cookies or trace headers.
var client = new HttpClient(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    UseCookies = false,
    ActivityHeadersPropagator = null,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
});

var app = builder.Build();
app.MapPost("/v1/chat/completions", async (HttpContext http) =>
{
    using var body = new MemoryStream();
    await http.Request.Body.CopyToAsync(body, http.RequestAborted);
    using var request = new HttpRequestMessage(HttpMethod.Post, upstream) { Content = new ByteArrayContent(body.ToArray()) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sim");
    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
    if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
    {
        // A stream is passed on as it comes (each write flushed), as the edge relays one: the TTFT rows compare the two.
        http.Response.StatusCode = (int)response.StatusCode;
        http.Response.ContentType = "text/event-stream";
        await using var events = await response.Content.ReadAsStreamAsync(http.RequestAborted);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await events.ReadAsync(buffer, http.RequestAborted)) > 0)
            await http.Response.Body.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
        return;
    }
    var answer = await response.Content.ReadAsByteArrayAsync(http.RequestAborted);
    http.Response.StatusCode = (int)response.StatusCode;
    http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
    http.Response.ContentLength = answer.Length;
    await http.Response.Body.WriteAsync(answer, http.RequestAborted);
});
app.Run();
