using System.Text;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>Reads a client-format stream back the way that format's SDK would, asserting the grammar as it goes.</summary>
internal static class ClientStreamReader
{
    public static ClientStreamSummary Read(ClientFormat format, string stream) => format switch
    {
        ClientFormat.OpenAIChat => ReadOpenAIChat(stream),
        ClientFormat.OpenAIResponses => ReadResponses(stream),
        ClientFormat.Anthropic => ReadAnthropic(stream),
        _ => ReadGemini(stream),
    };

    private static ClientStreamSummary ReadOpenAIChat(string stream)
    {
        var events = TranslationHarness.ParseSse(stream, 3);
        Assert.All(events, e => Assert.Null(e.EventName));
        Assert.Equal("[DONE]", events[^1].DataText);
        Assert.Equal(1, events.Count(e => e.DataText == "[DONE]"));
        var chunks = events.Take(events.Count - 1).Select(e => TranslationHarness.Json(e.DataText)).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string)c["object"]!));
        Assert.Single(chunks.Select(c => (string)c["id"]!).Distinct());
        Assert.StartsWith("chatcmpl-", (string)chunks[0]["id"]!);
        Assert.Equal("assistant", (string)chunks[0]["choices"]![0]!["delta"]!["role"]!);
        var text = new StringBuilder();
        var calls = new SortedDictionary<int, (string Id, string Name, StringBuilder Args)>();
        string? finish = null;
        JsonObject? usage = null;
        foreach (var chunk in chunks)
        {
            var choices = (JsonArray)chunk["choices"]!;
            if (choices.Count == 0)
            {
                Assert.Null(usage);
                usage = (JsonObject)chunk["usage"]!;
                continue;
            }
            Assert.Null(usage); // the usage chunk comes after every choice chunk
            Assert.Null(finish); // and nothing follows the finish chunk but usage
            var choice = choices[0]!;
            var delta = choice["delta"]!;
            text.Append((string?)delta["content"]);
            if (delta["tool_calls"] is JsonArray toolCalls)
            {
                foreach (var call in toolCalls)
                {
                    var index = (int)call!["index"]!;
                    if (call["id"] is { } id)
                    {
                        Assert.False(calls.ContainsKey(index));
                        Assert.Equal("function", (string)call["type"]!);
                        calls[index] = ((string)id!, (string)call["function"]!["name"]!, new StringBuilder());
                    }
                    calls[index].Args.Append((string?)call["function"]?["arguments"]);
                }
            }
            finish = (string?)choice["finish_reason"];
        }
        Assert.NotNull(finish);
        return new ClientStreamSummary(text.ToString(), "", [.. calls.Values.Select(c => (c.Id, c.Name, c.Args.ToString()))], finish, usage,
            chunks.Select(_ => "chunk").ToList());
    }

    private static ClientStreamSummary ReadResponses(string stream)
    {
        var events = TranslationHarness.ParseSse(stream, 3);
        var payloads = events.Select(e => TranslationHarness.Json(e.DataText)).ToList();
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(events[i].EventName, (string)payloads[i]["type"]!);
            Assert.Equal(i, (int)payloads[i]["sequence_number"]!);
        }
        var types = payloads.Select(p => (string)p["type"]!).ToList();
        Assert.Equal("response.created", types[0]);
        Assert.Equal("response.in_progress", types[1]);
        Assert.Contains(types[^1], new[] { "response.completed", "response.incomplete" });
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        var args = new Dictionary<string, StringBuilder>();
        var calls = new List<(string Id, string Name, string Arguments)>();
        var open = new HashSet<string>();
        foreach (var p in payloads)
        {
            switch ((string)p["type"]!)
            {
                case "response.output_item.added":
                    Assert.True(open.Add((string)p["item"]!["id"]!));
                    if ((string)p["item"]!["type"]! == "function_call") args[(string)p["item"]!["id"]!] = new StringBuilder();
                    break;
                case "response.output_item.done":
                    Assert.True(open.Remove((string)p["item"]!["id"]!));
                    if ((string)p["item"]!["type"]! == "function_call")
                    {
                        var item = p["item"]!;
                        Assert.Equal(args[(string)item["id"]!].ToString(), (string)item["arguments"]!);
                        calls.Add(((string)item["call_id"]!, (string)item["name"]!, (string)item["arguments"]!));
                    }
                    break;
                case "response.output_text.delta":
                    Assert.Contains((string)p["item_id"]!, open);
                    text.Append((string)p["delta"]!);
                    break;
                case "response.reasoning_summary_text.delta":
                    reasoning.Append((string)p["delta"]!);
                    break;
                case "response.function_call_arguments.delta":
                    args[(string)p["item_id"]!].Append((string)p["delta"]!);
                    break;
                case "response.function_call_arguments.done":
                    Assert.Equal(args[(string)p["item_id"]!].ToString(), (string)p["arguments"]!);
                    break;
            }
        }
        Assert.Empty(open);
        var response = payloads[^1]["response"]!;
        Assert.StartsWith("resp_", (string)response["id"]!);
        var finish = (string)response["status"]!;
        return new ClientStreamSummary(text.ToString(), reasoning.ToString(), calls, finish, response["usage"] as JsonObject, types);
    }

    private static ClientStreamSummary ReadAnthropic(string stream)
    {
        var events = TranslationHarness.ParseSse(stream, 3);
        var payloads = events.Select(e => TranslationHarness.Json(e.DataText)).ToList();
        for (var i = 0; i < events.Count; i++) Assert.Equal(events[i].EventName, (string)payloads[i]["type"]!);
        var types = payloads.Select(p => (string)p["type"]!).ToList();
        Assert.Equal("message_start", types[0]);
        Assert.Equal("message_stop", types[^1]);
        Assert.Equal("message_delta", types[^2]);
        Assert.StartsWith("msg_", (string)payloads[0]["message"]!["id"]!);
        var text = new StringBuilder();
        var thinking = new StringBuilder();
        var blocks = new Dictionary<int, (string Type, string? Id, string? Name, StringBuilder Json)>();
        int? openBlock = null;
        foreach (var p in payloads)
        {
            switch ((string)p["type"]!)
            {
                case "content_block_start":
                {
                    Assert.Null(openBlock);
                    var index = (int)p["index"]!;
                    Assert.Equal(blocks.Count, index);
                    var block = p["content_block"]!;
                    blocks[index] = ((string)block["type"]!, (string?)block["id"], (string?)block["name"], new StringBuilder());
                    openBlock = index;
                    break;
                }
                case "content_block_delta":
                {
                    var index = (int)p["index"]!;
                    Assert.Equal(openBlock, index);
                    var delta = p["delta"]!;
                    switch ((string)delta["type"]!)
                    {
                        case "text_delta": Assert.Equal("text", blocks[index].Type); text.Append((string)delta["text"]!); break;
                        case "thinking_delta": Assert.Equal("thinking", blocks[index].Type); thinking.Append((string)delta["thinking"]!); break;
                        case "signature_delta": Assert.Equal("thinking", blocks[index].Type); break;
                        case "input_json_delta": Assert.Equal("tool_use", blocks[index].Type); blocks[index].Json.Append((string)delta["partial_json"]!); break;
                        default: Assert.Fail("unknown delta"); break;
                    }
                    break;
                }
                case "content_block_stop":
                    Assert.Equal(openBlock, (int)p["index"]!);
                    openBlock = null;
                    break;
            }
        }
        Assert.Null(openBlock);
        var messageDelta = payloads[^2];
        var calls = blocks.Values.Where(b => b.Type == "tool_use").Select(b => (b.Id!, b.Name!, b.Json.ToString())).ToList();
        return new ClientStreamSummary(text.ToString(), thinking.ToString(), calls, (string?)messageDelta["delta"]!["stop_reason"],
            MergeAnthropicUsage((JsonObject)payloads[0]["message"]!["usage"]!, (JsonObject)messageDelta["usage"]!), types);
    }

    /// <summary>As the Anthropic SDK accumulates: message_delta's figures override message_start's.</summary>
    private static JsonObject MergeAnthropicUsage(JsonObject start, JsonObject delta)
    {
        var merged = (JsonObject)start.DeepClone();
        foreach (var (k, v) in delta) merged[k] = v?.DeepClone();
        return merged;
    }

    private static ClientStreamSummary ReadGemini(string stream)
    {
        var events = TranslationHarness.ParseSse(stream, 3);
        var payloads = events.Select(e => TranslationHarness.Json(e.DataText)).ToList();
        Assert.All(events, e => Assert.Null(e.EventName));
        var text = new StringBuilder();
        var thoughts = new StringBuilder();
        var calls = new List<(string Id, string Name, string Arguments)>();
        string? finish = null;
        JsonObject? usage = null;
        for (var i = 0; i < payloads.Count; i++)
        {
            var candidate = payloads[i]["candidates"]![0]!;
            foreach (var part in (JsonArray)candidate["content"]!["parts"]!)
            {
                if (part!["functionCall"] is { } call) calls.Add(((string)call["id"]!, (string)call["name"]!, call["args"]!.ToJsonString()));
                else if ((bool?)part["thought"] == true) thoughts.Append((string?)part["text"]);
                else text.Append((string?)part["text"]);
            }
            if (candidate["finishReason"] is { } f)
            {
                Assert.Equal(payloads.Count - 1, i); // finishReason only on the last chunk
                finish = (string)f!;
                usage = payloads[i]["usageMetadata"] as JsonObject;
            }
        }
        return new ClientStreamSummary(text.ToString(), thoughts.ToString(), calls, finish, usage, payloads.Select(_ => "chunk").ToList());
    }
}
