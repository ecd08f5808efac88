using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 16 item 1: once a request's body reached an upstream it is never free unless the upstream refused it. Clients leave a
/// stream at four moments, on every upstream kind and on translated pairs; each request is charged more than zero and no
/// more than its hold, flagged estimated in its log row and its ledger entry, logged once, with its upstream named.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class AbandonedRequestTests(ClusterFixture cluster)
{
    public enum Moment { BeforeHeaders, BeforeFirstDelta, AfterFirstDelta, BeforeUsage }

    public static TheoryData<string, string, Moment> Cases()
    {
        var data = new TheoryData<string, string, Moment>();
        foreach (var moment in Enum.GetValues<Moment>())
        {
            data.Add("openai", "openai", moment);
            data.Add("anthropic", "anthropic", moment);
            data.Add("gemini", "gemini", moment);
            data.Add("openai", "anthropic", moment); // translated: an OpenAI client on an Anthropic upstream
        }
        data.Add("gemini", "openai", Moment.BeforeFirstDelta);
        data.Add("anthropic", "gemini", Moment.AfterFirstDelta);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_client_that_leaves_is_charged_for_what_the_upstream_did(string client, string upstream, Moment moment)
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 5m);
        var model = moment switch
        {
            Moment.BeforeHeaders => TestCatalog.LateHeaders(upstream),
            Moment.BeforeUsage => TestCatalog.LateFinish(upstream),
            _ => TestCatalog.Drip(upstream),
        };
        var (path, body) = StreamRequest(client, model, maxTokens: 20, Books.Prompt());
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Authorization", "Bearer " + tenant.Key);

        if (moment == Moment.BeforeHeaders)
        {
            // The upstream answers after 1 s; the client gives up at 400 ms, before any header.
            using var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
            try
            {
                using var early = await cluster.Edge.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
                Assert.Fail($"answered {(int)early.StatusCode} before the client left: {await early.Content.ReadAsStringAsync()}");
            }
            catch (OperationCanceledException)
            {
            }
        }
        else
        {
            using var response = await cluster.Edge.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
            await using var stream = await response.Content.ReadAsStreamAsync();
            switch (moment)
            {
                case Moment.BeforeFirstDelta:
                    await Task.Delay(200); // the first token comes after 1 s
                    break;
                case Moment.AfterFirstDelta:
                    await ReadUntilAsync(stream, TextDelta(client), TimeSpan.FromSeconds(10));
                    break;
                case Moment.BeforeUsage:
                    // Every token comes at once, the closing events 3 s later: read the text, then leave.
                    await ReadForAsync(stream, TimeSpan.FromMilliseconds(1500));
                    break;
            }
        } // the client leaves

        var row = Assert.Single(await Books.RowsAsync(cluster, tenant));
        // The status is what the client was sent: 200 once the stream's headers went out, else nginx's 499.
        Assert.Equal(moment == Moment.BeforeHeaders ? 499 : 200, row["status"]!.GetValue<int>());
        Assert.Equal("client_closed_request", row["error_code"]!.GetValue<string>());
        Assert.Equal("sim-" + model["test-".Length..], row["upstream_provider"]!.GetValue<string>());
        var cost = row["cost_usd"]!.GetValue<decimal>();
        var held = row["held_usd"]!.GetValue<decimal>();
        Assert.True(cost > 0m, $"a request its upstream worked on was free: {row.ToJsonString()}");
        Assert.True(cost <= held, $"charged {cost} above the hold {held}");
        Assert.True(row["usage_estimated"]!.GetValue<bool>());
        Assert.True(row["input_tokens"]!.GetValue<long>() > 250, "the prompt's input is charged");
        if (moment is Moment.AfterFirstDelta or Moment.BeforeUsage) Assert.True(row["output_tokens"]!.GetValue<long>() >= 1);
        if (moment == Moment.BeforeUsage) Assert.True(row["output_tokens"]!.GetValue<long>() >= 20, "all the text it was sent is charged");

        var capture = await Books.CaptureAsync(cluster, tenant, row["request_id"]!.GetValue<string>());
        Assert.Equal(cost, capture["amount_usd"]!.GetValue<decimal>());
        Assert.Contains("estimated", Books.Flags(capture));
        var credits = await SettledCreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(5m - cost, credits["balance_usd"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Hidden_reasoning_before_the_client_left_is_charged()
    {
        // The upstream thinks for 3 s without a word; the catalog says the model reasons at 100 tokens a second.
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 5m);
        var (path, body) = StreamRequest("openai", TestCatalog.Thinker, maxTokens: 1000, "hi");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Authorization", "Bearer " + tenant.Key);
        using (var response = await cluster.Edge.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.True(response.IsSuccessStatusCode);
            await Task.Delay(2000);
        }
        var row = Assert.Single(await Books.RowsAsync(cluster, tenant));
        Assert.Equal("client_closed_request", row["error_code"]!.GetValue<string>());
        Assert.True(row["usage_estimated"]!.GetValue<bool>());
        // About 2 s of silence at 100 tokens a second; generous bounds for a loaded machine.
        Assert.InRange(row["output_tokens"]!.GetValue<long>(), 150, 1000);
        Assert.InRange(row["reasoning_tokens"]!.GetValue<long>(), 150, 1000);
    }

    [Fact]
    public async Task A_client_that_leaves_while_sending_its_body_is_a_499_not_a_500()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var body = Encoding.UTF8.GetBytes(Chat("gpt-5.4", 5));
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(cluster.EdgeUrl.Host, cluster.EdgeUrl.Port);
            var stream = socket.GetStream();
            var head = $"POST /api/v1/chat/completions HTTP/1.1\r\nHost: {cluster.EdgeUrl.Authority}\r\nAuthorization: Bearer {tenant.Key}\r\n"
                + $"Content-Type: application/json\r\nContent-Length: {body.Length + 5000}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(body.AsMemory(0, body.Length / 2));
            await stream.FlushAsync();
            await Task.Delay(300);
        } // gone, 5 KB short

        var row = Assert.Single(await Books.RowsAsync(cluster, tenant));
        Assert.Equal(499, row["status"]!.GetValue<int>());
        Assert.Equal("client_closed_request", row["error_code"]!.GetValue<string>());
        Assert.Equal(0m, row["cost_usd"]!.GetValue<decimal>());
        Assert.Null(row["upstream_provider"]?.GetValue<string>());
    }

    internal static (string Path, string Body) StreamRequest(string client, string model, int maxTokens, string prompt)
    {
        var text = JsonValue.Create(prompt).ToJsonString();
        return client switch
        {
            "openai" => ("/api/v1/chat/completions",
                $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":true,"messages":[{"role":"user","content":{{text}}}]}"""),
            "anthropic" => ("/v1/messages",
                $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":true,"messages":[{"role":"user","content":{{text}}}]}"""),
            _ => ($"/v1beta/models/{model}:streamGenerateContent?alt=sse",
                $$$"""{"contents":[{"role":"user","parts":[{"text":{{{text}}}}]}],"generationConfig":{"maxOutputTokens":{{{maxTokens}}}}}"""),
        };
    }

    /// <summary>A text delta in the client's own stream format.</summary>
    private static Regex TextDelta(string client) => client switch
    {
        "openai" => ChatTextDelta(),
        "anthropic" => AnthropicTextDelta(),
        _ => GeminiText(),
    };

    [GeneratedRegex("\"content\":\"[^\"]")]
    private static partial Regex ChatTextDelta();

    [GeneratedRegex("\"text_delta\"")]
    private static partial Regex AnthropicTextDelta();

    [GeneratedRegex("\"text\":\"[^\"]")]
    private static partial Regex GeminiText();

    private static async Task ReadUntilAsync(Stream stream, Regex pattern, TimeSpan limit)
    {
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        var clock = Stopwatch.StartNew();
        while (!pattern.IsMatch(seen.ToString()))
        {
            Assert.True(clock.Elapsed < limit, $"no text delta within {limit}: {seen}");
            var read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, $"the stream ended before the client left: {seen}");
            seen.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    private static async Task ReadForAsync(Stream stream, TimeSpan duration)
    {
        using var stop = new CancellationTokenSource(duration);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, stop.Token) > 0)
            {
            }
            Assert.Fail("the stream ended before the client left");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
