using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 18, stored responses through the real edges and logging service: <c>store</c> (default true) keeps a Responses API
/// response for its owner, <c>previous_response_id</c> continues it on every upstream kind (the simulated provider counts the
/// words it was sent, so the continued input is visible in the usage), and GET, DELETE and input_items answer as OpenAI's do.
/// The second turn goes to the other edge: the store is the cluster's, not one edge's.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StoredResponsesTests(ClusterFixture cluster)
{
    /// <summary>The simulated answer to a 5-token limit: the first five of its fixed words.</summary>
    private const int FirstAnswerWords = 5;

    public static TheoryData<string, bool> Upstreams => new()
    {
        { "gpt-5.4", false }, { "gpt-5.4", true },
        { TestCatalog.ChatOnly, false },
        { "claude-sonnet-4-6", false }, { "claude-sonnet-4-6", true },
        { "gemini-2.5-flash", false }, { "gemini-2.5-flash", true },
    };

    [Theory]
    [MemberData(nameof(Upstreams))]
    public async Task Previous_response_id_continues_the_conversation_on_every_upstream(string model, bool stream)
    {
        var tenant = await Tenant.CreateAsync(cluster, 10m);
        var first = await CreateAsync(cluster.Edge, tenant.Key, $$"""
            {"model":"{{model}}","max_output_tokens":{{FirstAnswerWords}},"stream":{{(stream ? "true" : "false")}},"input":"alpha beta gamma"}
            """, stream);
        var id = (string)first["id"]!;
        Assert.True((bool)first["store"]!);

        using var second = await PostAsync(cluster.Edge2, tenant.Key, "/api/v1/responses",
            $$"""{"model":"{{model}}","max_output_tokens":5,"previous_response_id":"{{id}}","input":"delta"}""");
        var text = await second.Content.ReadAsStringAsync();
        Assert.True(second.StatusCode == HttpStatusCode.OK, text);
        var answer = JsonNode.Parse(text)!.AsObject();
        // The upstream got the whole conversation: three words, the five-word answer, one more word.
        Assert.Equal(3 + FirstAnswerWords + 1, (int)answer["usage"]!["input_tokens"]!);
        Assert.NotEqual(id, (string)answer["id"]!);

        // The first response reads back as it was answered, from either edge.
        using var read = await GetAsync(cluster.Edge2, tenant.Key, $"/api/v1/responses/{id}");
        var stored = JsonNode.Parse(await read.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(id, (string)stored["id"]!);
        Assert.Equal(first["output"]!.ToJsonString(), stored["output"]!.ToJsonString());

        // The second one's input items are the conversation, newest first.
        var items = await InputItemsAsync(cluster.Edge, tenant.Key, (string)answer["id"]!, "");
        Assert.Equal(3, items["data"]!.AsArray().Count);
        Assert.Equal("delta", (string)items["data"]![0]!["content"]![0]!["text"]!);
        Assert.Equal("assistant", (string)items["data"]![1]!["role"]!);
        Assert.Equal("alpha beta gamma", (string)items["data"]![2]!["content"]![0]!["text"]!);

        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(second));
        Assert.True((long)log["stored_bytes"]! > text.Length / 2, log.ToJsonString());
        Assert.Equal(3 + FirstAnswerWords + 1, (long)log["input_tokens"]!);
    }

    [Fact]
    public async Task A_chain_of_three_turns_carries_every_turn()
    {
        var tenant = await Tenant.CreateAsync(cluster, 10m);
        var id = (string)(await CreateAsync(cluster.Edge, tenant.Key, """{"model":"claude-sonnet-4-6","max_output_tokens":2,"input":"one"}""", false))["id"]!;
        id = (string)(await CreateAsync(cluster.Edge2, tenant.Key,
            $$"""{"model":"gemini-2.5-flash","max_output_tokens":2,"previous_response_id":"{{id}}","input":"two"}""", false))["id"]!;
        var third = await CreateAsync(cluster.Edge, tenant.Key,
            $$"""{"model":"gpt-5.4","max_output_tokens":2,"previous_response_id":"{{id}}","input":"three"}""", false);
        // one + 2 + two + 2 + three: models may change along a chain.
        Assert.Equal(7, (int)third["usage"]!["input_tokens"]!);
        var items = await InputItemsAsync(cluster.Edge, tenant.Key, (string)third["id"]!, "?order=asc&limit=2");
        Assert.Equal("one", (string)items["data"]![0]!["content"]![0]!["text"]!);
        Assert.True((bool)items["has_more"]!);
        var next = await InputItemsAsync(cluster.Edge, tenant.Key, (string)third["id"]!, $"?order=asc&limit=10&after={(string)items["last_id"]!}");
        Assert.Equal(3, next["data"]!.AsArray().Count);
        Assert.False((bool)next["has_more"]!);
    }

    [Fact]
    public async Task Another_owners_response_does_not_exist_for_a_key_and_costs_nothing()
    {
        var owner = await Tenant.CreateAsync(cluster, 10m);
        var stranger = await Tenant.CreateAsync(cluster, 10m);
        var id = (string)(await CreateAsync(cluster.Edge, owner.Key, """{"model":"gpt-5.4","max_output_tokens":3,"input":"secret plans"}""", false))["id"]!;

        using var read = await GetAsync(cluster.Edge, stranger.Key, $"/api/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal("invalid_request_error", (string)JsonNode.Parse(await read.Content.ReadAsStringAsync())!["error"]!["type"]!);
        using var items = await GetAsync(cluster.Edge, stranger.Key, $"/api/v1/responses/{id}/input_items");
        Assert.Equal(HttpStatusCode.NotFound, items.StatusCode);
        using var delete = await SendAsync(cluster.Edge, stranger.Key, HttpMethod.Delete, $"/api/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);

        using var continued = await PostAsync(cluster.Edge, stranger.Key, "/api/v1/responses",
            $$"""{"model":"gpt-5.4","max_output_tokens":3,"previous_response_id":"{{id}}","input":"tell me"}""");
        var error = JsonNode.Parse(await continued.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(HttpStatusCode.NotFound, continued.StatusCode);
        Assert.Equal("previous_response_id", (string)error["param"]!);
        Assert.Contains(id, (string)error["message"]!);
        var log = await LogAsync(cluster.Edge, stranger.Key, RequestId(continued));
        Assert.Equal(0m, (decimal)log["cost_usd"]!);
        Assert.Null(log["upstream_provider"]);
        var credits = await SettledCreditsAsync(cluster.Edge, stranger.Key);
        Assert.Equal(10m, (decimal)credits["balance_usd"]!);

        // The owner still has it, untouched by the stranger's delete.
        using var own = await GetAsync(cluster.Edge2, owner.Key, $"/api/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_deleted_response_can_no_longer_be_read_or_continued()
    {
        var tenant = await Tenant.CreateAsync(cluster, 10m);
        var id = (string)(await CreateAsync(cluster.Edge, tenant.Key, """{"model":"gemini-2.5-flash","max_output_tokens":3,"input":"hello"}""", false))["id"]!;

        using var delete = await SendAsync(cluster.Edge2, tenant.Key, HttpMethod.Delete, $"/api/v1/responses/{id}");
        var deleted = JsonNode.Parse(await delete.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal($$"""{"id":"{{id}}","object":"response","deleted":true}""", deleted.ToJsonString());

        using var read = await GetAsync(cluster.Edge, tenant.Key, $"/api/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        using var again = await SendAsync(cluster.Edge, tenant.Key, HttpMethod.Delete, $"/api/v1/responses/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        using var continued = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/responses",
            $$"""{"model":"gemini-2.5-flash","max_output_tokens":3,"previous_response_id":"{{id}}","input":"more"}""");
        Assert.Equal(HttpStatusCode.NotFound, continued.StatusCode);
    }

    [Theory]
    [InlineData("gpt-5.4")]
    [InlineData("claude-sonnet-4-6")]
    public async Task Store_false_keeps_nothing(string model)
    {
        var tenant = await Tenant.CreateAsync(cluster, 10m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/responses",
            $$"""{"model":"{{model}}","max_output_tokens":3,"store":false,"input":"forget me"}""");
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((bool)answer["store"]!);

        var log = await LogAsync(cluster.Edge, tenant.Key, RequestId(response));
        Assert.Null(log["stored_bytes"]);
        using var read = await GetAsync(cluster.Edge, tenant.Key, $"/api/v1/responses/{(string)answer["id"]!}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=101", "limit")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?order=sideways", "order")]
    public async Task Bad_input_item_queries_name_the_parameter(string query, string param)
    {
        var tenant = await Tenant.CreateAsync(cluster, 1m);
        using var response = await GetAsync(cluster.Edge, tenant.Key, $"/api/v1/responses/resp_whatever/input_items{query}");
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (string)error["param"]!);
    }

    [Fact]
    public async Task Without_a_key_stored_responses_are_refused_in_OpenAIs_envelope()
    {
        using var response = await cluster.Edge.GetAsync("/api/v1/responses/resp_1");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_request_error", (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["type"]!);
    }

    private static async Task<JsonObject> CreateAsync(HttpClient edge, string key, string body, bool stream)
    {
        using var response = await PostAsync(edge, key, "/api/v1/responses", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        if (!stream) return JsonNode.Parse(text)!.AsObject();
        var final = text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[6..])!)
            .Last(e => (string)e["type"]! is "response.completed" or "response.incomplete");
        return final["response"]!.AsObject();
    }

    private static async Task<JsonObject> InputItemsAsync(HttpClient edge, string key, string id, string query)
    {
        using var response = await GetAsync(edge, key, $"/api/v1/responses/{id}/input_items{query}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient edge, string key, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await edge.SendAsync(request);
    }
}
