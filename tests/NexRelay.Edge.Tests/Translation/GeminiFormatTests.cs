using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

public sealed class GeminiFormatTests
{
    private static readonly IClientFormat Format = FormatRegistry.Client(ClientFormat.Gemini);

    [Fact]
    public void Full_request_parses_into_the_neutral_model()
    {
        var r = Format.ParseRequest(Json("""
            {
              "systemInstruction": {"parts": [{"text": "Be brief."}]},
              "contents": [
                {"role": "user", "parts": [
                  {"text": "Describe"},
                  {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/"}},
                  {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/a.png"}}
                ]},
                {"role": "model", "parts": [
                  {"text": "thinking...", "thought": true, "thoughtSignature": "c2ln"},
                  {"functionCall": {"name": "lookup", "args": {"q": "x"}}},
                  {"functionCall": {"name": "lookup", "args": {"q": "y"}}}
                ]},
                {"role": "user", "parts": [
                  {"functionResponse": {"name": "lookup", "response": {"result": "X"}}},
                  {"functionResponse": {"name": "lookup", "response": {"result": "Y"}}}
                ]},
                {"parts": [{"text": "and?"}]}
              ],
              "tools": [{"functionDeclarations": [{"name": "lookup", "description": "Find", "parameters": {"type": "OBJECT", "properties": {"q": {"type": "STRING", "enum": ["A"]}}}}]}],
              "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["lookup"]}},
              "generationConfig": {
                "maxOutputTokens": 256, "temperature": 0.3, "topP": 0.8, "topK": 20, "stopSequences": ["END"],
                "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "INTEGER"}}},
                "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": true}
              },
              "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
            }
            """), "models/gemini-2.5-flash", routeStream: true);

        Assert.Equal("gemini-2.5-flash", r.Model);
        Assert.True(r.Stream);
        Assert.Equal([new TextPart("Be brief.")], r.System);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.User], r.Messages.Select(m => m.Role));
        Assert.Equal(new ImagePart(null, "image/jpeg", "/9j/"), r.Messages[0].Parts[1]);
        Assert.Equal(new ImagePart("https://example.com/a.png", "image/png", null), r.Messages[0].Parts[2]);
        Assert.Equal(new ReasoningPart("thinking...", "c2ln"), r.Messages[1].Parts[0]);
        var calls = r.Messages[1].Parts.OfType<ToolCallPart>().ToList();
        var results = r.Messages[2].Parts.OfType<ToolResultPart>().ToList();
        Assert.Equal(calls.Select(c => c.Id), results.Select(x => x.ToolCallId)); // paired by name, in order
        Assert.Equal(calls.Count, calls.Select(c => c.Id).Distinct().Count());
        Assert.Equal("""{"result":"X"}""", results[0].Content);
        Assert.Equal("object", (string)r.Tools[0].ParametersSchema!["type"]!);
        Assert.Equal("string", (string)r.Tools[0].ParametersSchema!["properties"]!["q"]!["type"]!);
        Assert.Equal(new ToolChoice(ToolChoiceKind.Tool, "lookup"), r.ToolChoice);
        Assert.Equal((256, 0.3, 0.8, 20), (r.MaxOutputTokens!.Value, r.Temperature!.Value, r.TopP!.Value, r.TopK!.Value));
        Assert.Equal(["END"], r.Stop);
        Assert.Equal(ResponseFormatKind.JsonSchema, r.ResponseFormat!.Kind);
        Assert.Equal("integer", (string)r.ResponseFormat.Schema!["properties"]!["a"]!["type"]!);
        Assert.Equal(new ReasoningConfig(null, 1024), r.Reasoning);
    }

    [Fact]
    public void Snake_case_fields_are_accepted()
    {
        var r = Format.ParseRequest(Json("""
            {"system_instruction":{"parts":[{"text":"S"}]},"contents":[{"role":"user","parts":[{"inline_data":{"mime_type":"image/png","data":"AA"}}]}],
             "generation_config":{"max_output_tokens":9,"response_mime_type":"application/json"}}
            """), "g", false);
        Assert.Equal([new TextPart("S")], r.System);
        Assert.Equal(new ImagePart(null, "image/png", "AA"), r.Messages[0].Parts[0]);
        Assert.Equal(9, r.MaxOutputTokens);
        Assert.Equal(ResponseFormatKind.JsonObject, r.ResponseFormat!.Kind);
    }

    [Theory]
    [InlineData("""{}""", "contents")]
    [InlineData("""{"contents":{}}""", "contents")]
    [InlineData("""{"contents":[]}""", "contents")]
    [InlineData("""{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}""", "contents[0].role")]
    [InlineData("""{"contents":[{"role":"user"}]}""", "contents[0].parts")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":5}]}]}""", "contents[0].parts[0].text")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"executableCode":{}}]}]}""", "contents[0].parts[0].executableCode")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"googleSearch":{}}]}""", "tools[0].googleSearch")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":"lots"}}""", "generationConfig.maxOutputTokens")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"candidateCount":2}}""", "generationConfig.candidateCount")]
    [InlineData("""{"contents":[{"role":"user","parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}""", "toolConfig.functionCallingConfig.mode")]
    public void Invalid_requests_name_the_parameter(string body, string param)
    {
        var e = Assert.Throws<RequestValidationException>(() => Format.ParseRequest(Json(body), "gemini", false));
        Assert.Equal(param, e.Param);
    }

    [Fact]
    public void Passthrough_edits_only_the_output_limit()
    {
        var body = Json("""{"contents":[],"generationConfig":{"temperature":1,"maxOutputTokens":5},"safetySettings":[],"labels":{"team":"a"}}""");
        Format.ApplyPassthroughEdits(body, "gemini-up", 77, stream: true);
        Assert.Equal("""{"contents":[],"generationConfig":{"temperature":1,"maxOutputTokens":77},"safetySettings":[],"labels":{"team":"a"}}""", body.ToJsonString());

        var bare = Json("""{"contents":[]}""");
        Format.ApplyPassthroughEdits(bare, "gemini-up", 8, stream: false);
        Assert.Equal(8, (int)bare["generationConfig"]!["maxOutputTokens"]!);
    }

    [Fact]
    public void Response_maps_parts_finish_and_usage()
    {
        var json = Wire(Format.WriteResponse(new ChatResponse
        {
            Id = "chatcmpl-1",
            Model = "gpt",
            Output = [new ReasoningPart("hm"), new TextPart("Hi"), new ToolCallPart("call_1", "f", """{"a":1}""")],
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { InputTokens = 100, CachedInputTokens = 30, OutputTokens = 50, ReasoningTokens = 20 },
        }, "public"));

        var candidate = json["candidates"]![0]!;
        Assert.Equal("STOP", (string)candidate["finishReason"]!);
        var parts = (JsonArray)candidate["content"]!["parts"]!;
        Assert.True((bool)parts[0]!["thought"]!);
        Assert.Equal("Hi", (string)parts[1]!["text"]!);
        Assert.Equal(("call_1", "f", 1), ((string)parts[2]!["functionCall"]!["id"]!, (string)parts[2]!["functionCall"]!["name"]!, (int)parts[2]!["functionCall"]!["args"]!["a"]!));
        var usage = json["usageMetadata"]!;
        Assert.Equal((100, 30, 30, 20, 150), ((int)usage["promptTokenCount"]!, (int)usage["candidatesTokenCount"]!,
            (int)usage["cachedContentTokenCount"]!, (int)usage["thoughtsTokenCount"]!, (int)usage["totalTokenCount"]!));
        Assert.Equal("public", (string)json["modelVersion"]!);
    }

    [Theory]
    [InlineData(FinishReason.Stop, "STOP")]
    [InlineData(FinishReason.Length, "MAX_TOKENS")]
    [InlineData(FinishReason.ContentFilter, "SAFETY")]
    [InlineData(FinishReason.Error, "OTHER")]
    public void Finish_reasons_map(FinishReason finish, string expected)
    {
        var json = Wire(Format.WriteResponse(new ChatResponse { Id = "x", Model = "m", FinishReason = finish }, "m"));
        Assert.Equal(expected, (string)json["candidates"]![0]!["finishReason"]!);
    }
}
