using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests;

/// <summary>Raw HTTP helpers for tests that look at status codes, headers and logs rather than through an SDK.</summary>
internal static class EdgeCalls
{
    public static string Chat(string model, int? max = 3, bool stream = false)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello there" }),
        };
        if (max is { } m) body["max_tokens"] = m;
        return body.ToJsonString();
    }

    public static string AnthropicBody(string model, int max = 3) =>
        $$"""{"model":"{{model}}","max_tokens":{{max}},"messages":[{"role":"user","content":"hello there"}]}""";

    public const string GeminiBody = """{"contents":[{"role":"user","parts":[{"text":"hello there"}]}],"generationConfig":{"maxOutputTokens":3}}""";

    public static async Task<HttpResponseMessage> PostAsync(HttpClient edge, string key, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await edge.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> GetAsync(HttpClient edge, string key, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await edge.SendAsync(request);
    }

    public static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("x-request-id").Single();

    /// <summary>The key's own log row for a request, waiting for the logging service to store it.</summary>
    public static async Task<JsonObject> LogAsync(HttpClient edge, string key, string requestId)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await GetAsync(edge, key, $"/api/v1/logs/{requestId}");
            if (response.StatusCode == HttpStatusCode.OK) return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"no log row for {requestId}: {(int)response.StatusCode}");
            await Task.Delay(200);
        }
    }

    public static async Task<JsonObject> CreditsAsync(HttpClient edge, string key)
    {
        using var response = await GetAsync(edge, key, "/api/v1/credits");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["data"]!.AsObject();
    }

    /// <summary>Waits until every hold of the wallet is settled (reserved back to zero), then returns its figures.</summary>
    public static async Task<JsonObject> SettledCreditsAsync(HttpClient edge, string key)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var credits = await CreditsAsync(edge, key);
            if (credits["reserved_usd"]!.GetValue<decimal>() == 0m) return credits;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"holds not settled: {credits.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    /// <summary>All of a key's log rows (every page).</summary>
    public static async Task<List<JsonObject>> AllLogsAsync(HttpClient edge, string key)
    {
        var rows = new List<JsonObject>();
        string? cursor = null;
        do
        {
            using var response = await GetAsync(edge, key, "/api/v1/logs?limit=1000" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            rows.AddRange(page["data"]!.AsArray().Select(r => r!.AsObject()));
            cursor = page["next_cursor"]?.GetValue<string>();
        } while (cursor is not null);
        return rows;
    }
}
