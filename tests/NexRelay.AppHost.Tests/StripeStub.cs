using System.Collections.Concurrent;
using System.Collections.Specialized;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Web;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// A local stand-in for Stripe's API (billing's <c>NexRelay:Payments:Stripe:ApiBase</c> points here): answers
/// <c>POST /v1/checkout/sessions</c> with a session as Stripe would and keeps every request, so tests can assert what NexRelay sent.
/// </summary>
public sealed class StripeStub : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public sealed record Received(string Method, string Path, string? Authorization, string? IdempotencyKey, NameValueCollection Form);

    public ConcurrentQueue<Received> Requests { get; } = new();

    public Uri BaseUrl { get; }

    public StripeStub()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseUrl.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The session the stub created for NexRelay's checkout <paramref name="checkoutId"/>.</summary>
    public Received SessionRequestFor(string checkoutId) =>
        Requests.Single(r => r.Path == "/v1/checkout/sessions" && r.Form["client_reference_id"] == checkoutId);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            try
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var form = HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
                var path = context.Request.Url!.AbsolutePath;
                Requests.Enqueue(new Received(context.Request.HttpMethod, path, context.Request.Headers["Authorization"],
                    context.Request.Headers["Idempotency-Key"], form));
                JsonObject answer;
                if (context.Request.HttpMethod == "POST" && path == "/v1/checkout/sessions")
                {
                    var id = "cs_test_" + Guid.NewGuid().ToString("N");
                    context.Response.StatusCode = 200;
                    answer = new JsonObject
                    {
                        ["id"] = id,
                        ["object"] = "checkout.session",
                        ["url"] = "https://checkout.stripe.com/c/pay/" + id,
                        ["mode"] = form["mode"],
                        ["status"] = "open",
                        ["payment_status"] = "unpaid",
                        ["currency"] = form["line_items[0][price_data][currency]"],
                        ["amount_total"] = long.Parse(form["line_items[0][price_data][unit_amount]"] ?? "0"),
                        ["client_reference_id"] = form["client_reference_id"],
                        ["livemode"] = false,
                        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    };
                }
                else
                {
                    context.Response.StatusCode = 404;
                    answer = new JsonObject { ["error"] = new JsonObject { ["type"] = "invalid_request_error", ["message"] = "Unrecognized request URL" } };
                }
                var bytes = Encoding.UTF8.GetBytes(answer.ToJsonString());
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(bytes);
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _listener.Close();
    }
}
