using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>Replaces every value of valid bodies with values of the wrong type: parsing either succeeds or names a 400, never throws anything else.</summary>
public sealed class RequestValidationFuzzTests
{
    private static readonly string[] Bodies =
    [
        """{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"t"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f"}},"max_tokens":5,"temperature":1,"stop":["x"],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{}}},"stream":true,"stream_options":{"include_usage":true},"service_tier":"default","modalities":["text"]}""",
        """{"model":"m","instructions":"i","input":[{"role":"user","content":[{"type":"input_text","text":"t"},{"type":"input_image","image_url":"https://x"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"o"},{"type":"reasoning","summary":[{"type":"summary_text","text":"s"}]}],"tools":[{"type":"function","name":"f","parameters":{}}],"tool_choice":{"type":"function","name":"f"},"text":{"format":{"type":"json_schema","name":"n","schema":{}}},"reasoning":{"effort":"low"},"max_output_tokens":5,"service_tier":"auto"}""",
        """{"model":"m","max_tokens":5,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"text","text":"t"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}}]},{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"s"},{"type":"tool_use","id":"c","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"c","content":[{"type":"text","text":"r"}]}]}],"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"tool","name":"f"},"thinking":{"type":"enabled","budget_tokens":2000},"stop_sequences":["x"],"metadata":{"user_id":"u"},"service_tier":"standard_only","speed":"standard","inference_geo":"global"}""",
        """{"systemInstruction":{"parts":[{"text":"s"}]},"contents":[{"role":"user","parts":[{"text":"t"},{"inlineData":{"mimeType":"image/png","data":"AA"}},{"fileData":{"mimeType":"image/png","fileUri":"gs://x"}}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT"}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}},"generationConfig":{"maxOutputTokens":5,"stopSequences":["x"],"responseMimeType":"application/json","responseSchema":{"type":"OBJECT"},"thinkingConfig":{"thinkingBudget":100},"responseModalities":["TEXT"],"mediaResolution":"MEDIA_RESOLUTION_LOW"},"serviceTier":"standard"}""",
    ];

    private static readonly JsonNode?[] WrongValues = [null, 7, 1.5, -1, "s", true, new JsonArray(), new JsonArray(1, "x"), new JsonObject(), new JsonObject { ["type"] = 3 }];

    public static TheoryData<int> Formats() => [0, 1, 2, 3];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Any_wrongly_typed_value_is_a_validation_error_not_a_crash(int index)
    {
        var format = FormatRegistry.Client((ClientFormat)index);
        var original = Json(Bodies[index]);
        format.ParseRequest(original.DeepClone().AsObject(), "gemini-x", false); // the valid body parses

        var paths = new List<List<object>>();
        Collect(original, [], paths);
        Assert.True(paths.Count > 30);
        var unnamed = new List<string>();
        foreach (var path in paths)
        foreach (var wrong in WrongValues)
        {
            var body = original.DeepClone().AsObject();
            Replace(body, path, wrong?.DeepClone());
            try
            {
                format.ParseRequest(body, "gemini-x", false);
            }
            catch (RequestValidationException e) when (e.Param is null)
            {
                unnamed.Add($"{string.Join('.', path)} = {wrong?.ToJsonString() ?? "null"}: {e.Message}");
            }
            catch (RequestValidationException)
            {
            }
        }
        // Every refusal names the field, so the caller's error envelope can point at it.
        Assert.Empty(unnamed);
    }

    private static void Collect(JsonNode node, List<object> prefix, List<List<object>> paths)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    var path = new List<object>(prefix) { key };
                    paths.Add(path);
                    if (value is not null) Collect(value, path, paths);
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var path = new List<object>(prefix) { i };
                    paths.Add(path);
                    if (a[i] is { } item) Collect(item, path, paths);
                }
                break;
        }
    }

    private static void Replace(JsonNode root, List<object> path, JsonNode? value)
    {
        var parent = root;
        for (var i = 0; i < path.Count - 1; i++) parent = path[i] is string k ? parent[k]! : parent[(int)path[i]]!;
        if (path[^1] is string key) parent[key] = value;
        else parent[(int)path[^1]] = value;
    }
}
