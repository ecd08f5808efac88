using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Billing.Tests.BillingClient;

/// <summary>
/// A billing stand-in on a free port that answers each call by the next step of a script: a fixed status and body, or
/// forwarding to the real billing service. Calls past the end of the script are forwarded. Records every path it was sent.
/// </summary>
internal sealed class ScriptedBilling : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Queue<(HttpStatusCode Status, string Body)?> _script;
    private readonly HttpClient _billing;

    public List<string> Calls { get; } = [];
    public string Url { get; }

    private ScriptedBilling(WebApplication app, Uri realBilling, IEnumerable<(HttpStatusCode, string)?> script)
    {
        _app = app;
        _script = new Queue<(HttpStatusCode, string)?>(script);
        _billing = new HttpClient { BaseAddress = realBilling, Timeout = TimeSpan.FromSeconds(30) };
        Url = app.Urls.Single();
    }

    /// <summary>A step that answers with <paramref name="status"/>; <c>null</c> forwards to the real billing.</summary>
    public static (HttpStatusCode, string)? Answer(HttpStatusCode status, string body = "") => (status, body);

    public static async Task<ScriptedBilling> StartAsync(Uri realBilling, params (HttpStatusCode, string)?[] script)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        ScriptedBilling? scripted = null;
        app.Run(context => scripted!.AnswerAsync(context));
        await app.StartAsync();
        scripted = new ScriptedBilling(app, realBilling, script);
        return scripted;
    }

    private async Task AnswerAsync(HttpContext context)
    {
        (HttpStatusCode Status, string Body)? step;
        lock (_script)
        {
            Calls.Add(context.Request.Path.Value ?? "");
            step = _script.Count > 0 ? _script.Dequeue() : null;
        }
        if (step is { } answer)
        {
            context.Response.StatusCode = (int)answer.Status;
            await context.Response.WriteAsync(answer.Body);
            return;
        }
        using var forwarded = new HttpRequestMessage(HttpMethod.Post, context.Request.Path.Value)
        {
            Content = new StreamContent(context.Request.Body),
        };
        forwarded.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(context.Request.ContentType ?? "application/json");
        // As it came: the real billing then checks the internal token the edge's client sent.
        forwarded.Headers.TryAddWithoutValidation(InternalAuth.HeaderName, context.Request.Headers[InternalAuth.HeaderName].ToString());
        using var response = await _billing.SendAsync(forwarded);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await response.Content.CopyToAsync(context.Response.Body);
    }

    public async ValueTask DisposeAsync()
    {
        _billing.Dispose();
        await _app.DisposeAsync();
    }
}
