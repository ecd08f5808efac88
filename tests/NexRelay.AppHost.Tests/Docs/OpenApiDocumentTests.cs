using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests.Docs;

/// <summary>
/// /openapi.json and /admin/openapi.json validate with a real OpenAPI validator, every documented operation exists on the
/// running edge, and real answers (successes and errors of each format) match the documented schemas.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenApiDocumentTests(ClusterFixture cluster)
{
    private string BaseUrl => cluster.EdgeUrl.ToString().TrimEnd('/');

    [Fact]
    public async Task Public_document_is_valid_OpenAPI_3_1_with_both_key_schemes()
    {
        var text = await cluster.Edge.GetStringAsync("/openapi.json");
        await DocsNode.AssertValidOpenApiAsync(text);

        var doc = JsonNode.Parse(text)!;
        Assert.Equal("3.1.0", doc["openapi"]!.GetValue<string>());
        Assert.Equal(BaseUrl, doc["servers"]![0]!["url"]!.GetValue<string>());
        var schemes = doc["components"]!["securitySchemes"]!;
        Assert.Equal("bearer", schemes["bearerAuth"]!["scheme"]!.GetValue<string>());
        Assert.Equal("x-api-key", schemes["apiKeyHeader"]!["name"]!.GetValue<string>());
        Assert.Equal("header", schemes["apiKeyHeader"]!["in"]!.GetValue<string>());
        var chat = doc["paths"]!["/api/v1/chat/completions"]!["post"]!;
        Assert.NotNull(chat["responses"]!["200"]!["content"]!["text/event-stream"]);
        Assert.Equal("#/components/schemas/OpenAIError", chat["responses"]!["401"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/AnthropicError",
            doc["paths"]!["/v1/messages"]!["post"]!["responses"]!["401"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/GeminiError",
            doc["paths"]!["/v1beta/models/{model}:generateContent"]!["post"]!["responses"]!["404"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Null(doc["paths"]!["/admin/v1/keys"]);
    }

    [Fact]
    public async Task Admin_document_is_refused_without_the_admin_token()
    {
        using var anonymous = await cluster.Edge.GetAsync("/admin/openapi.json");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!;
        Assert.Equal(401, problem["status"]!.GetValue<int>());

        var tenant = await Tenant.CreateAsync(cluster);
        using var customer = await EdgeCalls.GetAsync(cluster.Edge, tenant.Key, "/admin/openapi.json");
        Assert.Equal(HttpStatusCode.Unauthorized, customer.StatusCode);
    }

    [Fact]
    public async Task Admin_document_is_valid_and_real_admin_answers_match_it()
    {
        using var admin = cluster.AdminClient();
        var text = await admin.GetStringAsync("/admin/openapi.json");
        await DocsNode.AssertValidOpenApiAsync(text);
        var doc = JsonNode.Parse(text)!;
        Assert.Equal("bearer", doc["components"]!["securitySchemes"]!["adminToken"]!["scheme"]!.GetValue<string>());

        var tenant = await Tenant.CreateAsync(cluster);
        using (var chat = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", EdgeCalls.Chat("gpt-5.4")))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
            await EdgeCalls.LogAsync(cluster.Edge, tenant.Key, EdgeCalls.RequestId(chat));
        }
        var requestId = (await EdgeCalls.AllLogsAsync(cluster.Edge, tenant.Key))[0]["request_id"]!.GetValue<string>();
        var samples = new List<ResponseSample>
        {
            await Get(admin, "/admin/v1/wallets/{id}", $"/admin/v1/wallets/{tenant.WalletId}"),
            await Get(admin, "/admin/v1/wallets", "/admin/v1/wallets?limit=2"),
            await Get(admin, "/admin/v1/wallets", $"/admin/v1/wallets?q={tenant.WalletId}"),
            await Get(admin, "/admin/v1/wallets", "/admin/v1/wallets?limit=0"),
            await Get(admin, "/admin/v1/wallets/{id}/ledger", $"/admin/v1/wallets/{tenant.WalletId}/ledger"),
            await Get(admin, "/admin/v1/keys", $"/admin/v1/keys?wallet_id={tenant.WalletId}"),
            await Get(admin, "/admin/v1/keys", "/admin/v1/keys?status=active&limit=1"),
            await Get(admin, "/admin/v1/keys", "/admin/v1/keys?status=lost"),
            await Get(admin, "/admin/v1/keys/{id}", $"/admin/v1/keys/{tenant.KeyId}"),
            await Get(admin, "/admin/v1/keys/{id}", $"/admin/v1/keys/{Guid.NewGuid()}"),
            await Get(admin, "/admin/v1/logs", $"/admin/v1/logs?key_id={tenant.KeyId}"),
            await Get(admin, "/admin/v1/logs/{request_id}", $"/admin/v1/logs/{requestId}"),
            await Get(admin, "/admin/v1/usage", $"/admin/v1/usage?key_id={tenant.KeyId}&group_by=model"),
            await Get(admin, "/admin/v1/usage", $"/admin/v1/usage?key_id={tenant.KeyId}&group_by=day,model,key,status,upstream"),
            await Get(admin, "/admin/v1/usage", "/admin/v1/usage?group_by=planet"),
            await Send(admin, HttpMethod.Post, "/admin/v1/wallets", "/admin/v1/wallets", """{"name":"docs"}"""),
            await Send(admin, HttpMethod.Post, "/admin/v1/keys", "/admin/v1/keys", $$"""{"wallet_id":"{{tenant.WalletId}}","name":"docs","rpm":60}"""),
            await Send(admin, HttpMethod.Patch, "/admin/v1/keys/{id}", $"/admin/v1/keys/{tenant.KeyId}", """{"tpm":100000}"""),
            await Send(admin, HttpMethod.Post, "/admin/v1/wallets/{id}/credits", $"/admin/v1/wallets/{tenant.WalletId}/credits", """{"amount_usd":1.5}"""),
        };
        Assert.Equal([200, 200, 200, 400, 200, 200, 200, 400, 200, 404, 200, 200, 200, 200, 400, 201, 201, 200, 400], samples.Select(s => s.Status));
        Assert.Contains(tenant.WalletId.ToString(), samples[2].Body);
        await DocsNode.AssertMatchesDocumentAsync(text, samples);
    }

    [Fact]
    public async Task Every_documented_operation_runs_and_refuses_a_missing_key_in_its_documented_envelope()
    {
        var text = await cluster.Edge.GetStringAsync("/openapi.json");
        var samples = new List<ResponseSample>();
        foreach (var (path, item) in JsonNode.Parse(text)!["paths"]!.AsObject())
        {
            foreach (var (method, _) in item!.AsObject())
            {
                var concrete = path.Replace("{id}", "gpt-5.4").Replace("{model}", "gemini-2.5-flash").Replace("{request_id}", "req_unknown");
                using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), concrete);
                if (method == "post") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await cluster.Edge.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {(int)response.StatusCode}, expected 401 (the route must exist and ask for a key)");
                samples.Add(await ResponseSample.FromAsync(method, path, response));
            }
        }
        Assert.True(samples.Count >= 25, $"only {samples.Count} operations documented");
        await DocsNode.AssertMatchesDocumentAsync(text, samples);
    }

    [Fact]
    public async Task Real_successes_and_errors_of_each_format_match_the_documented_schemas()
    {
        var text = await cluster.Edge.GetStringAsync("/openapi.json");
        var tenant = await Tenant.CreateAsync(cluster);
        var broke = await Tenant.CreateAsync(cluster, creditUsd: 0m);
        var badKey = "nrk_" + new string('d', 43);
        var edge = cluster.Edge;
        const string responses = """{"model":"gpt-5.5","input":"hello there","max_output_tokens":3}""";
        const string count = """{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"hello there"}]}""";

        var samples = new List<ResponseSample>();
        async Task Post(string key, string template, string path, string body, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await edge.SendAsync(request);
            samples.Add(await ResponseSample.FromAsync("post", template, response));
        }
        async Task GetWith(string key, string template, string path, string? header = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (header is null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            else request.Headers.TryAddWithoutValidation(header, key);
            using var response = await edge.SendAsync(request);
            samples.Add(await ResponseSample.FromAsync("get", template, response));
        }

        // Successes, each format.
        await Post(tenant.Key, "/api/v1/chat/completions", "/api/v1/chat/completions", EdgeCalls.Chat("gpt-5.4"));
        await Post(tenant.Key, "/v1/chat/completions", "/v1/chat/completions", EdgeCalls.Chat("claude-sonnet-4-6"));
        await Post(tenant.Key, "/api/v1/responses", "/api/v1/responses", responses);
        await Post(tenant.Key, "/v1/messages", "/v1/messages", EdgeCalls.AnthropicBody("claude-sonnet-4-6"));
        await Post(tenant.Key, "/api/v1/messages", "/api/v1/messages", EdgeCalls.AnthropicBody("gpt-5.4"));
        await Post(tenant.Key, "/v1/messages/count_tokens", "/v1/messages/count_tokens", count);
        await Post(tenant.Key, "/v1beta/models/{model}:generateContent", "/v1beta/models/gemini-2.5-flash:generateContent", EdgeCalls.GeminiBody);
        await Post(tenant.Key, "/v1/models/{model}:generateContent", "/v1/models/gpt-5.4:generateContent", EdgeCalls.GeminiBody);
        await Post(tenant.Key, "/v1beta/models/{model}:countTokens", "/v1beta/models/gemini-2.5-flash:countTokens", EdgeCalls.GeminiBody);
        await GetWith(tenant.Key, "/api/v1/models", "/api/v1/models");
        await GetWith(tenant.Key, "/api/v1/models/{id}", "/api/v1/models/gpt-5.4");
        await GetWith(tenant.Key, "/v1/models", "/v1/models");
        await GetWith(tenant.Key, "/v1/models", "/v1/models", header: "x-goog-api-key");
        await GetWith(tenant.Key, "/v1/models/{id}", "/v1/models/gemini-2.5-flash", header: "x-goog-api-key");
        await GetWith(tenant.Key, "/v1beta/models", "/v1beta/models");
        await GetWith(tenant.Key, "/v1beta/models/{model}", "/v1beta/models/gemini-2.5-flash");
        await GetWith(tenant.Key, "/api/v1/key", "/api/v1/key");
        await GetWith(tenant.Key, "/api/v1/credits", "/api/v1/credits");
        var requestId = (await EdgeCalls.LogAsync(edge, tenant.Key, await FirstRequestIdAsync(tenant)))["request_id"]!.GetValue<string>();
        await GetWith(tenant.Key, "/api/v1/logs", "/api/v1/logs?limit=5");
        await GetWith(tenant.Key, "/api/v1/logs/{request_id}", "/api/v1/logs/" + requestId);
        await GetWith(tenant.Key, "/api/v1/usage", "/api/v1/usage?group_by=model");
        await GetWith(tenant.Key, "/api/v1/usage", "/api/v1/usage?group_by=day,model");
        var successes = samples.Count;

        // Errors, each format.
        await Post(badKey, "/v1/messages", "/v1/messages", EdgeCalls.AnthropicBody("claude-sonnet-4-6"));
        await Post(tenant.Key, "/v1beta/models/{model}:generateContent", "/v1beta/models/no-such-model:generateContent", EdgeCalls.GeminiBody);
        await Post(tenant.Key, "/api/v1/chat/completions", "/api/v1/chat/completions", EdgeCalls.Chat("no-such-model"));
        await Post(tenant.Key, "/api/v1/chat/completions", "/api/v1/chat/completions", """{"model":"gpt-5.4","messages":"not a list"}""");
        await Post(broke.Key, "/api/v1/messages", "/api/v1/messages", EdgeCalls.AnthropicBody("claude-sonnet-4-6"));
        await Post(broke.Key, "/v1/models/{model}:generateContent", "/v1/models/gemini-2.5-flash:generateContent", EdgeCalls.GeminiBody);
        await Post(tenant.Key, "/api/v1/responses", "/api/v1/responses", """{"model":"test-down","input":"hi","max_output_tokens":3}""");
        await GetWith(badKey, "/v1beta/models", "/v1beta/models");
        await GetWith(tenant.Key, "/api/v1/models/{id}", "/api/v1/models/no-such-model");
        await GetWith(tenant.Key, "/v1/models/{id}", "/v1/models/no-such-model", header: "x-goog-api-key");
        await GetWith(tenant.Key, "/api/v1/logs/{request_id}", "/api/v1/logs/req_does_not_exist");
        await GetWith(tenant.Key, "/api/v1/usage", "/api/v1/usage?group_by=planet");
        await GetWith(tenant.Key, "/api/v1/usage", "/api/v1/usage?group_by=day,day");

        Assert.All(samples.Take(successes), s => Assert.True(s.Status == 200, $"{s.Path}: {s.Status} {s.Body}"));
        Assert.Equal([401, 404, 404, 400, 402, 402, 502, 401, 404, 404, 404, 400, 400], samples.Skip(successes).Select(s => s.Status));
        Assert.All(samples, s => Assert.Equal("application/json", s.ContentType));
        await DocsNode.AssertMatchesDocumentAsync(text, samples);
    }

    [Fact]
    public async Task Relayed_answers_carry_the_documented_request_id_and_cost_headers()
    {
        var doc = JsonNode.Parse(await cluster.Edge.GetStringAsync("/openapi.json"))!["paths"]!;
        var tenant = await Tenant.CreateAsync(cluster);
        foreach (var (path, body) in new[]
        {
            ("/api/v1/chat/completions", EdgeCalls.Chat("gpt-5.4")),
            ("/v1/messages", EdgeCalls.AnthropicBody("claude-sonnet-4-6")),
            ("/v1beta/models/{model}:generateContent", EdgeCalls.GeminiBody),
        })
        {
            var headers = doc[path]!["post"]!["responses"]!["200"]!["headers"]!.AsObject();
            using var response = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, path.Replace("{model}", "gemini-2.5-flash"), body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            foreach (var name in new[] { "x-request-id", "x-nexrelay-cost-usd" })
            {
                Assert.True(headers.ContainsKey(name), $"{path}: {name} not documented");
                Assert.True(response.Headers.Contains(name), $"{path}: {name} documented but not sent");
            }
        }
    }

    [Fact]
    public async Task Streaming_answers_use_the_documented_event_stream_type()
    {
        var doc = JsonNode.Parse(await cluster.Edge.GetStringAsync("/openapi.json"))!["paths"]!;
        var tenant = await Tenant.CreateAsync(cluster);
        foreach (var (template, path, body) in new[]
        {
            ("/api/v1/chat/completions", "/api/v1/chat/completions", EdgeCalls.Chat("gpt-5.4", stream: true)),
            ("/v1/messages", "/v1/messages", EdgeCalls.AnthropicBody("claude-sonnet-4-6").Replace("{\"model\"", "{\"stream\":true,\"model\"")),
            ("/v1beta/models/{model}:streamGenerateContent", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", EdgeCalls.GeminiBody),
        })
        {
            using var response = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, path, body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var media = response.Content.Headers.ContentType?.MediaType;
            Assert.Equal("text/event-stream", media);
            Assert.NotNull(doc[template]!["post"]!["responses"]!["200"]!["content"]![media!]);
            Assert.Contains("data:", await response.Content.ReadAsStringAsync());
        }
    }

    private async Task<string> FirstRequestIdAsync(Tenant tenant)
    {
        using var chat = await EdgeCalls.PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", EdgeCalls.Chat("gpt-5.4"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        return EdgeCalls.RequestId(chat);
    }

    private static async Task<ResponseSample> Get(HttpClient client, string template, string path)
    {
        using var response = await client.GetAsync(path);
        return await ResponseSample.FromAsync("get", template, response);
    }

    private static async Task<ResponseSample> Send(HttpClient client, HttpMethod method, string template, string path, string body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request);
        return await ResponseSample.FromAsync(method.Method.ToLowerInvariant(), template, response);
    }
}
