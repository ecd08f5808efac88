using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 18, through the real edge: a Responses request shaped like Codex CLI's (a freeform <c>apply_patch</c>, a namespace
/// tool, hosted tools, the fields agents send) on every upstream kind, streamed and not. An OpenAI upstream that serves the
/// Responses API gets the body as sent (its own response id comes back); the others, and an OpenAI-compatible upstream without
/// it, are translated, and the freeform call comes back as a <c>custom_tool_call</c> with raw text.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ResponsesAgentToolTests(ClusterFixture cluster)
{
    private const string Tools = """
        [
          {"type": "web_search", "external_web_access": false},
          {"type": "custom", "name": "apply_patch", "description": "Edit files with a patch", "format": {"type": "grammar", "syntax": "lark", "definition": "start: begin_patch hunk+ end_patch"}},
          {"type": "function", "name": "shell", "description": "Run a command", "parameters": {"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}}},
          {"type": "namespace", "name": "multi_agent_v1", "description": "Sub-agents", "tools": [{"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}}]},
          {"type": "tool_search"}
        ]
        """;

    private const string AgentFields = """
        "reasoning": {"effort": "medium", "summary": "auto"}, "include": ["reasoning.encrypted_content"], "store": false,
        "prompt_cache_key": "0b6f-session", "text": {"verbosity": "low"}, "client_metadata": {"x-codex-turn": "1"},
        "parallel_tool_calls": false, "tool_choice": "auto"
        """;

    /// <summary>(model, passed through natively, tools dropped on the way).</summary>
    public static TheoryData<string, bool, string, bool> Upstreams => new()
    {
        { "gpt-5.4", true, "web_search", false },
        { "gpt-5.4", true, "web_search", true },
        { TestCatalog.ChatOnly, false, "web_search, tool_search", false },
        { TestCatalog.ChatOnly, false, "web_search, tool_search", true },
        { "claude-sonnet-4-6", false, "web_search, tool_search", false },
        { "claude-sonnet-4-6", false, "web_search, tool_search", true },
        { "gemini-2.5-flash", false, "web_search, tool_search", false },
        { "gemini-2.5-flash", false, "web_search, tool_search", true },
    };

    [Theory]
    [MemberData(nameof(Upstreams))]
    public async Task A_freeform_tool_is_called_with_raw_text_on_every_upstream(string model, bool native, string dropped, bool stream)
    {
        var tenant = await Tenant.CreateAsync(cluster, 10m);
        var body = $$"""
            {"model":"{{model}}","max_output_tokens":64,"stream":{{(stream ? "true" : "false")}},"tools":{{Tools}},{{AgentFields}},
             "input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"please use_tool now"}]}]}
            """;
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/responses", body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(dropped, response.Headers.GetValues("x-nexrelay-dropped-tools").Single());
        var final = stream ? Completed(text) : JsonNode.Parse(text)!.AsObject();
        var requestId = RequestId(response);
        // Translated answers carry the request's own id; a native one the upstream's.
        Assert.Equal(!native, (string)final["id"]! == "resp_" + requestId["req_".Length..]);
        Assert.Equal(64, (int)final["max_output_tokens"]!);
        var call = Assert.Single(((JsonArray)final["output"]!).Select(i => i!.AsObject()), i => (string)i["type"]! != "reasoning");
        Assert.Equal(("custom_tool_call", "apply_patch"), ((string)call["type"]!, (string)call["name"]!));
        Assert.False(string.IsNullOrEmpty((string)call["input"]!));
        Assert.False(((string)call["input"]!).StartsWith("{\"input\"", StringComparison.Ordinal), "the raw text, never JSON-wrapped");
        if (stream)
        {
            var events = Events(text);
            var done = Assert.Single(events, e => (string)e["type"]! == "response.custom_tool_call_input.done");
            Assert.Equal((string)call["input"]!, (string)done["input"]!);
            Assert.Equal((string)call["input"]!, string.Concat(events.Where(e => (string)e["type"]! == "response.custom_tool_call_input.delta").Select(e => (string)e["delta"]!)));
        }

        var log = await LogAsync(cluster.Edge, tenant.Key, requestId);
        Assert.Equal(200, (int)log["status"]!);
        Assert.True((decimal)log["cost_usd"]! > 0, log.ToJsonString());
    }

    [Theory]
    [InlineData("gpt-5.4")]
    [InlineData(TestCatalog.ChatOnly)]
    [InlineData("claude-sonnet-4-6")]
    [InlineData("gemini-2.5-flash")]
    public async Task An_agents_next_turn_with_its_freeform_namespaced_and_hosted_history_is_answered(string model)
    {
        var tenant = await Tenant.CreateAsync(cluster, 10m);
        var body = $$"""
            {"model":"{{model}}","max_output_tokens":16,"tools":{{Tools}},{{AgentFields}},"input":[
              {"type":"message","role":"developer","content":[{"type":"input_text","text":"You are a coding agent."}]},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Fix the bug"}]},
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Look first."}],"encrypted_content":null},
              {"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"bug"} },
              {"type":"function_call","id":"fc_1","call_id":"call_ns","namespace":"multi_agent_v1","name":"spawn_agent","arguments":"{}"},
              {"type":"function_call_output","call_id":"call_ns","output":"agent 7 started"},
              {"type":"custom_tool_call","id":"ctc_1","call_id":"call_patch","name":"apply_patch","input":"*** Begin Patch\n*** Update File: a.txt\n-x\n+y\n*** End Patch"},
              {"type":"custom_tool_call_output","call_id":"call_patch","output":"Success. Updated a.txt"}
            ]}
            """;
        using var response = await PostAsync(cluster.Edge2, tenant.Key, "/api/v1/responses", body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("incomplete", (string)json["status"]!); // the simulated answer is longer than 16 tokens
        var message = Assert.Single(((JsonArray)json["output"]!).Select(i => i!.AsObject()), i => (string)i["type"]! == "message");
        Assert.False(string.IsNullOrWhiteSpace((string)message["content"]![0]!["text"]!));
    }

    [Fact]
    public async Task A_model_that_refuses_dropped_tools_says_which_before_any_hold()
    {
        var tenant = await Tenant.CreateAsync(cluster, 10m);
        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/responses",
            $$"""{"model":"{{TestCatalog.StrictTools}}","max_output_tokens":16,"tools":{{Tools}},"input":"hello there"}""");
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("tools", (string)error["param"]!);
        Assert.Contains("web_search, tool_search", (string)error["message"]!);
        var credits = await CreditsAsync(cluster.Edge, tenant.Key);
        Assert.Equal(0m, (decimal)credits["reserved_usd"]!);

        // Without them it is relayed.
        using var plain = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/responses",
            $$"""{"model":"{{TestCatalog.StrictTools}}","max_output_tokens":16,"input":"hello there"}""");
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.False(plain.Headers.Contains("x-nexrelay-dropped-tools"));
    }

    private static List<JsonObject> Events(string sse) =>
    [
        .. sse.Split('\n')
            .Where(l => l.StartsWith("data: ", StringComparison.Ordinal))
            .Select(l => JsonNode.Parse(l["data: ".Length..])!.AsObject()),
    ];

    private static JsonObject Completed(string sse)
    {
        var events = Events(sse);
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e["sequence_number"]!));
        return Assert.Single(events, e => (string)e["type"]! is "response.completed" or "response.incomplete")["response"]!.AsObject();
    }
}
