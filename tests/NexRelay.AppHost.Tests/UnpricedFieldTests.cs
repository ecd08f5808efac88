using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Fields an upstream bills beyond what NexRelay holds for are refused through the real edge: a 400 in the caller's own
/// envelope naming the field, the wallet untouched (no hold) and nothing relayed (README, "Fields NexRelay refuses").
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UnpricedFieldTests(ClusterFixture cluster)
{
    private const decimal Credit = 10m;
    private const string Hello = """[{"role":"user","content":"hello there"}]""";
    private const string GeminiHello = """[{"role":"user","parts":[{"text":"hello there"}]}]""";

    public static TheoryData<string, string, string> OpenAIFields => new()
    {
        { "/api/v1/chat/completions", $$"""{"model":"gpt-5.4","max_tokens":3,"service_tier":"priority","messages":{{Hello}}}""", "service_tier" },
        { "/api/v1/chat/completions", $$"""{"model":"gpt-5.4","max_tokens":3,"stream":true,"service_tier":"flex","messages":{{Hello}}}""", "service_tier" },
        { "/api/v1/chat/completions", $$"""{"model":"gpt-5.4","max_tokens":3,"web_search_options":{},"messages":{{Hello}}}""", "web_search_options" },
        { "/api/v1/chat/completions", $$"""{"model":"gpt-5.4","max_tokens":3,"modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"},"messages":{{Hello}}}""", "modalities" },
        { "/api/v1/chat/completions", $$"""{"model":"gpt-5.4","max_tokens":3,"prediction":{"type":"content","content":"x"},"messages":{{Hello}}}""", "prediction" },
        { "/api/v1/responses", """{"model":"gpt-5.4","max_output_tokens":16,"service_tier":"scale","input":"hello there"}""", "service_tier" },
    };

    public static TheoryData<string, string> AnthropicFields => new()
    {
        { $$"""{"model":"claude-sonnet-4-6","max_tokens":3,"service_tier":"priority","messages":{{Hello}}}""", "service_tier" },
        { $$"""{"model":"claude-sonnet-4-6","max_tokens":3,"stream":true,"speed":"fast","messages":{{Hello}}}""", "speed" },
        { $$"""{"model":"claude-sonnet-4-6","max_tokens":3,"inference_geo":"us","messages":{{Hello}}}""", "inference_geo" },
        { $$"""{"model":"claude-sonnet-4-6","max_tokens":3,"mcp_servers":[{"type":"url","url":"https://mcp.example","name":"x"}],"messages":{{Hello}}}""", "mcp_servers" },
        { $$"""{"model":"claude-sonnet-4-6","max_tokens":3,"container":"container_1","messages":{{Hello}}}""", "container" },
        { $$"""{"model":"claude-sonnet-4-6","max_tokens":3,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":{{Hello}}}""", "tools[0].type" },
    };

    public static TheoryData<string, string, string> GeminiFields => new()
    {
        { "generateContent", $$"""{"contents":{{GeminiHello}},"serviceTier":"priority"}""", "serviceTier" },
        { "streamGenerateContent?alt=sse", $$"""{"contents":{{GeminiHello}},"cachedContent":"cachedContents/abc"}""", "cachedContent" },
        { "generateContent", """{"contents":[{"role":"user","parts":[{"text":"hello there"}]}],"generationConfig":{"responseModalities":["TEXT","AUDIO"],"speechConfig":{}}}""", "generationConfig.responseModalities" },
        { "generateContent", """{"contents":[{"role":"user","parts":[{"text":"describe"},{"inlineData":{"mimeType":"video/mp4","data":"AAAA"}}]}]}""", "contents[0].parts[1].inlineData.mimeType" },
        { "generateContent", """{"contents":[{"role":"user","parts":[{"text":"describe"},{"fileData":{"mimeType":"application/pdf","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}]}""", "contents[0].parts[1].fileData.mimeType" },
        { "generateContent", """{"contents":[{"role":"user","parts":[{"text":"describe"},{"fileData":{"fileUri":"https://www.youtube.com/watch?v=9hE5-98ZeCg"}}]}]}""", "contents[0].parts[1].fileData.fileUri" },
        { "generateContent", """{"contents":[{"role":"user","parts":[{"text":"hello there"}]}],"tools":[{"googleSearch":{}}]}""", "tools[0].googleSearch" },
    };

    [Theory]
    [MemberData(nameof(OpenAIFields))]
    public async Task OpenAI_fields_nexrelay_cannot_price_are_a_400_in_openai_shape_before_any_hold(string path, string body, string param)
    {
        var tenant = await Tenant.CreateAsync(cluster, Credit);
        using var response = await PostAsync(cluster.Edge, tenant.Key, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType!.ToString());
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Contains($"'{param}': NexRelay does not price", error["message"]!.GetValue<string>());
        await AssertNothingHeldOrRelayedAsync(tenant, RequestId(response));
    }

    [Theory]
    [MemberData(nameof(AnthropicFields))]
    public async Task Anthropic_fields_nexrelay_cannot_price_are_a_400_in_anthropic_shape_before_any_hold(string body, string param)
    {
        var tenant = await Tenant.CreateAsync(cluster, Credit);
        using var response = await PostAsync(cluster.Edge2, tenant.Key, "/v1/messages", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("error", json["type"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
        Assert.Contains($"'{param}': NexRelay does not price", json["error"]!["message"]!.GetValue<string>());
        await AssertNothingHeldOrRelayedAsync(tenant, RequestId(response));
    }

    [Theory]
    [MemberData(nameof(GeminiFields))]
    public async Task Gemini_fields_nexrelay_cannot_price_are_a_400_in_google_shape_before_any_hold(string method, string body, string param)
    {
        var tenant = await Tenant.CreateAsync(cluster, Credit);
        using var response = await PostAsync(cluster.Edge, tenant.Key, $"/v1beta/models/gemini-2.5-flash:{method}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(400, error["code"]!.GetValue<int>());
        Assert.Equal("INVALID_ARGUMENT", error["status"]!.GetValue<string>());
        Assert.Contains($"'{param}': NexRelay does not price", error["message"]!.GetValue<string>());
        await AssertNothingHeldOrRelayedAsync(tenant, RequestId(response));
    }

    [Fact]
    public async Task Token_counting_refuses_them_too_since_its_count_would_be_wrong()
    {
        var tenant = await Tenant.CreateAsync(cluster, Credit);
        using var anthropic = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages/count_tokens",
            $$"""{"model":"claude-sonnet-4-6","mcp_servers":[{"type":"url","url":"https://mcp.example","name":"x"}],"messages":{{Hello}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, anthropic.StatusCode);
        Assert.Contains("'mcp_servers'", JsonNode.Parse(await anthropic.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>());

        using var gemini = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:countTokens",
            """{"contents":[{"role":"user","parts":[{"inlineData":{"mimeType":"audio/wav","data":"AAAA"}}]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, gemini.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", JsonNode.Parse(await gemini.Content.ReadAsStringAsync())!["error"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Values_that_cost_nothing_extra_are_relayed_and_charged_as_usual()
    {
        var tenant = await Tenant.CreateAsync(cluster, Credit);
        using var chat = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions",
            $$"""{"model":"gpt-5.4","max_tokens":3,"service_tier":"default","modalities":["text"],"messages":{{Hello}}}""");
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        using var anthropic = await PostAsync(cluster.Edge2, tenant.Key, "/v1/messages",
            $$"""{"model":"claude-sonnet-4-6","max_tokens":3,"service_tier":"standard_only","speed":"standard","inference_geo":"global","messages":{{Hello}}}""");
        Assert.Equal(HttpStatusCode.OK, anthropic.StatusCode);
        using var gemini = await PostAsync(cluster.Edge, tenant.Key, "/v1beta/models/gemini-2.5-flash:generateContent",
            """{"serviceTier":"standard","contents":[{"role":"user","parts":[{"text":"describe"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]}],"generationConfig":{"maxOutputTokens":3,"responseModalities":["TEXT"]}}""");
        Assert.Equal(HttpStatusCode.OK, gemini.StatusCode);

        foreach (var response in new[] { chat, anthropic, gemini })
        {
            var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
            Assert.Equal(200, log["status"]!.GetValue<int>());
            Assert.False(string.IsNullOrEmpty(log["upstream_provider"]?.GetValue<string>()));
            Assert.True(log["held_usd"]!.GetValue<decimal>() >= log["cost_usd"]!.GetValue<decimal>());
            Assert.True(log["cost_usd"]!.GetValue<decimal>() > 0);
        }
    }

    /// <summary>The request's log row shows no hold, no charge and no upstream; the wallet has all its credit, none reserved.</summary>
    private async Task AssertNothingHeldOrRelayedAsync(Tenant tenant, string requestId)
    {
        var log = await LogAsync(cluster.Edge, tenant.Key, requestId);
        Assert.Equal(400, log["status"]!.GetValue<int>());
        Assert.Equal("invalid_request", log["error_code"]!.GetValue<string>());
        Assert.Equal(0m, log["held_usd"]!.GetValue<decimal>());
        Assert.Equal(0m, log["cost_usd"]!.GetValue<decimal>());
        Assert.Null(log["upstream_provider"]);
        Assert.Null(log["upstream_model"]);

        var rows = await AllLogsAsync(cluster.Edge, tenant.Key);
        Assert.All(rows, r => Assert.Null(r["upstream_provider"]));
        var credits = await CreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(Credit, credits["balance_usd"]!.GetValue<decimal>());
        Assert.Equal(0m, credits["reserved_usd"]!.GetValue<decimal>());
        Assert.Equal(Credit, credits["available_usd"]!.GetValue<decimal>());
    }
}
